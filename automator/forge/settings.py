"""The pull-request settings of a run (``--pr`` and its options), validated when built."""

from __future__ import annotations

from automator.forge.naming import DEFAULT_TEMPLATE, Grouping, check_template
from automator.values import value_type

FORGE_KINDS = ("github", "gitlab")
PER_CHOICES: tuple[Grouping, ...] = ("run", "image")
MERGE_METHODS = ("merge", "squash", "rebase")


@value_type
class PullRequestSettings:
    """``enabled``: ``--pr`` (every update goes to pull requests); the rest also shapes the
    pull requests that rules send updates to. ``forge``/``forge_url`` None: detected from the
    remote; ``base`` None: ``--branch``, else the upstream of the checked-out branch."""

    enabled: bool = False
    forge: str | None = None
    forge_url: str | None = None
    base: str | None = None
    per: Grouping = "run"
    # with one PR per run: the image repositories whose rule says pr: {group: image} (their own PR each)
    apart: frozenset[str] = frozenset()
    branch_template: str = DEFAULT_TEMPLATE
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: str | None = None  # the merge method; None: no auto-merge

    def __post_init__(self) -> None:
        check_template(self.branch_template)
