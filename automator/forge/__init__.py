"""Pull requests on GitHub and merge requests on GitLab: one per change set, always current.

``FORGES`` maps a forge name to its :class:`automator.forge.base.Forge` implementation,
imported when first asked for (:class:`automator.plugins.LazyTable`), so that ``automator run`` without ``--pr`` never
imports PyGithub or python-gitlab. ``ensure_pull_requests`` is the verb; the ``run`` command
reaches it through the pull-request strategy, :mod:`automator.writeback.pull_requests`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automator.plugins import LazyTable

if TYPE_CHECKING:
    from automator.forge.base import Forge, PullRequest
    from automator.forge.ensure import Outcome, Settings, ensure_pull_request, ensure_pull_requests

FORGES: LazyTable[type[Forge]] = LazyTable({
    "github": "automator.forge.github:GitHubForge",
    "gitlab": "automator.forge.gitlab:GitLabForge",
})

# The verb and its types, imported when first asked for: a commit-mode run imports the leaf
# modules of this package (naming, settings, detect) for its options, not the pull-request
# machinery (forge.ensure loads git, the message renderer and the request body).
_LAZY: LazyTable[Any] = LazyTable({
    "Forge": "automator.forge.base:Forge",
    "PullRequest": "automator.forge.base:PullRequest",
    "Outcome": "automator.forge.ensure:Outcome",
    "Settings": "automator.forge.ensure:Settings",
    "ensure_pull_request": "automator.forge.ensure:ensure_pull_request",
    "ensure_pull_requests": "automator.forge.ensure:ensure_pull_requests",
})


def forge_class(kind: str) -> type[Forge]:
    return FORGES[kind]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _LAZY[name]
    kind = next((k for k, path in FORGES.paths.items() if path.endswith(f":{name}")), None)
    if kind is None:
        raise AttributeError(name)
    return FORGES[kind]


__all__ = [
    "FORGES",
    "Forge",
    "GitHubForge",
    "GitLabForge",
    "Outcome",
    "PullRequest",
    "Settings",
    "ensure_pull_request",
    "ensure_pull_requests",
    "forge_class",
]
