"""Images that carry no annotation or marker, automated because a rule says so.

A rule with ``policy:`` opts in the container images it matches (by path and image glob) in
workloads that no other dialect automates. A rule with ``follow:`` (for its ``container:``
only, when it names one) and a workload annotated with ``automator.dev/follow.<container>``
opt in those containers even without a rule policy (the promotion decides; any tag is
admitted). The dialect of these uses is ``rules``.

The same locator re-finds planned fields when a patch is verified (:func:`locators_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from automator.errors import AutomatorError
from automator.imageref import parse_image_ref
from automator.manifest.fields import make_uses
from automator.manifest.fluxv1 import FILTER_PREFIX
from automator.manifest.fluxv1 import PREFIXES as FLUX_V1_PREFIXES
from automator.manifest.locate import Locator
from automator.manifest.workloads import annotations, pod_containers, resources
from automator.manifest.yamldoc import Document
from automator.model import ImageUse, Plan, PolicySpec, Problem
from automator.rules.annotations import FOLLOW, HOLD, SOAK
from automator.rules.match import matching_rules
from automator.rules.model import RuleSet

DIALECT = "rules"
FOLLOW_GUARD = "alphabetical"  # admits every tag: with follow, the upstream decides
_FOREIGN = (*FLUX_V1_PREFIXES, FILTER_PREFIX, "automator.dev/")
_OURS = (HOLD, SOAK)

# (file, workload label, container, repository) -> the policy that governs it, or None
Chooser = Callable[[str, str, str, str, dict], PolicySpec | None]


def _automated_elsewhere(keys: Sequence[str]) -> bool:
    return any(k.startswith(_FOREIGN) and k not in _OURS and not k.startswith(FOLLOW) for k in keys)


class RulesLocator:
    name = DIALECT
    opt_in = True  # a file's own YAML problems stay its own (see manifest.locate.is_opt_in)

    def __init__(self, choose: Chooser, markers: tuple[str, ...] = ("image",)) -> None:
        self.choose = choose
        self.markers = markers

    def locate(self, doc: Document) -> Iterator[ImageUse | Problem]:
        for res in resources(doc.root):
            notes = {key: value for key, (value, _node) in annotations(res).items()}
            if _automated_elsewhere(list(notes)):
                continue
            for found in pod_containers(res):
                try:
                    repository = parse_image_ref(found.image.value).repository
                except (AutomatorError, AttributeError, TypeError):
                    continue
                policy = self.choose(doc.file, res.label, found.container, repository, notes)
                if policy is not None:
                    yield from make_uses(doc, found, policy, DIALECT, res.label)


def rules_locator(rules: RuleSet, rule_path: Callable[[str], str]) -> RulesLocator | None:
    """The locator for a run: it screens files for images when a rule sets a policy or
    follows, else only for the follow annotation."""
    by_rules = any(r.settings.policy or r.settings.follow for r in rules.rules)

    def choose(file: str, workload: str, container: str, repository: str, notes: dict) -> PolicySpec | None:
        chosen = follows = None
        for rule in matching_rules(rules, rule_path(file), repository):
            if rule.settings.policy:
                chosen = PolicySpec(rule.settings.policy, source=rule.source, line=rule.line)
            if rule.settings.follow:  # the last rule that says follow wins, as for every setting
                follows = rule if rule.settings.follow.container in (None, container) else None
        if chosen is None and follows is not None:
            chosen = PolicySpec(FOLLOW_GUARD, source=follows.source, line=follows.line)
        if chosen is None and (FOLLOW + container) in notes:
            chosen = PolicySpec(FOLLOW_GUARD, source=file)
        return chosen

    return RulesLocator(choose, ("image",) if by_rules else (FOLLOW,))


def planned_locator(uses: Sequence[ImageUse]) -> RulesLocator:
    """A locator that finds again exactly the planned ``rules`` fields (to verify patches)."""
    planned = {(u.file, u.workload, u.container): u.policy for u in uses if u.dialect == DIALECT}

    def choose(file: str, workload: str, container: str, repository: str, notes: dict) -> PolicySpec | None:
        return planned.get((file, workload, container))

    return RulesLocator(choose)


def locators_for(plan: Plan, base: Mapping[str, Locator]) -> Mapping[str, Locator]:
    """``base`` plus the rules locator when the plan has updates of opted-in images."""
    ours = [u.use for u in plan.updates if u.use.dialect == DIALECT]
    return {**base, DIALECT: planned_locator(ours)} if ours else base
