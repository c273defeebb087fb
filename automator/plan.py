"""The pure planning core: uses + tag lists -> updates with reasons, and problems."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from automator.errors import AutomatorError
from automator.imageref import normalise_repository
from automator.manifest.patch import render
from automator.model import ImageUse, Plan, PolicySpec, Problem, Selection, TagInfo, Update
from automator.policy import Policy, make_policy
from automator.policy.base import Scan

TagLists = Mapping[str, Sequence[TagInfo] | AutomatorError]
Policies = Mapping[PolicySpec, Policy | AutomatorError]
# The candidates of one use among its repository's listing (an event-driven run keeps only the
# use's current tag and the pushed ones); None keeps the whole listing.
Narrow = Callable[[ImageUse, Sequence[TagInfo]], Sequence[TagInfo]] | None


def listed_for(use: ImageUse, tags: TagLists, narrow: Narrow = None) -> Sequence[TagInfo] | AutomatorError | None:
    """The tags ``use`` may choose from: its repository's listing, narrowed when asked."""
    listed = tags.get(use.image.repository)
    if narrow is None or listed is None or isinstance(listed, AutomatorError):
        return listed
    return narrow(use, listed)


def build_policies(uses: Sequence[ImageUse]) -> dict[PolicySpec, Policy | AutomatorError]:
    """One policy per distinct spec; a bad spec is kept as its error (reported per use, naming
    where it was written). Specs that differ only in where they were written share one policy
    (the same words choose alike), so its selections can be shared too."""
    built: dict[PolicySpec, Policy | AutomatorError] = {}
    alike: dict[PolicySpec, Policy] = {}
    for use in uses:
        spec = use.policy
        if spec in built:
            continue
        meaning = spec.replace(source=None, line=None)
        policy = alike.get(meaning)
        if policy is None:
            try:
                policy = alike[meaning] = make_policy(spec)
            except AutomatorError as error:
                built[spec] = error
                continue
        built[spec] = policy
    return built


def metadata_wanted(uses: Sequence[ImageUse], policies: Policies, tags: TagLists, narrow: Narrow = None) -> dict[str, list[str]]:
    """Per repository, the tags whose build time some policy needs (only tags it admits)."""
    wanted: dict[str, set[str]] = {}
    asked: set[tuple[int, str]] = set()  # without narrowing, the answer is per policy and repository
    for use in uses:
        policy = policies.get(use.policy)
        if not isinstance(policy, Policy) or not policy.needs_build_time:
            continue
        if narrow is None:
            if (id(policy), use.image.repository) in asked:
                continue
            asked.add((id(policy), use.image.repository))
        listed = listed_for(use, tags, narrow)
        if not isinstance(listed, Sequence):
            continue
        need = {info.tag for info in listed if info.created is None and policy.admits(info.tag)}
        if need:
            wanted.setdefault(use.image.repository, set()).update(need)
    return {repo: sorted(found) for repo, found in wanted.items()}


def merge_metadata(
    listed: Sequence[TagInfo] | AutomatorError, found: Mapping[str, TagInfo | AutomatorError]
) -> Sequence[TagInfo] | AutomatorError:
    if isinstance(listed, AutomatorError):
        return listed
    return tuple(
        found[info.tag] if isinstance(found.get(info.tag), TagInfo) else info for info in listed
    )


def hold_for_metadata(uses, policies, deferred: Mapping[str, int]) -> tuple[list, list[Problem]]:
    """Uses that must wait for metadata a later run reads (the per-registry budget was spent)
    stay where they are, with a warning: choosing from partial build times could move an image
    to an older build."""
    def why(repository: str) -> str | None:
        late = deferred.get(repository)
        return f" for now: the metadata of {late} of its tags is left for a later run (--max-metadata)" if late else None

    return _hold(uses, policies, why, "warning")


def hold_for_unread_metadata(uses, policies, unread: Mapping[str, AutomatorError]) -> tuple[list, list[Problem]]:
    """Uses in a repository where some tag's metadata could not be read stay where they are,
    with an error: for the same reason (the unread tag may be the newest, or the one running)."""
    def why(repository: str) -> str | None:
        error = unread.get(repository)
        return f": the metadata of some of its tags could not be read: {error}" if error is not None else None

    return _hold(uses, policies, why, "error")


def _hold(uses, policies, why: Callable[[str], str | None], severity: str) -> tuple[list, list[Problem]]:
    """The uses to plan, and a problem for each use held: one whose policy orders by build
    time, or that writes a digest, in a repository ``why`` gives a reason for."""
    kept, held = [], []
    for use in uses:
        reason = why(use.image.repository)
        policy = policies.get(use.policy)
        needs = use.field == "digest" or bool(getattr(policy, "needs_build_time", False))
        if reason and needs:
            held.append(Problem(f"{use.file}:{use.line}: {use.image.repository}: stays at {use.image.tag or use.current or '(no tag)'}"
                                f"{reason}", use.file, use.image.repository, use.line, severity=severity))
        else:
            kept.append(use)
    return kept, held


def new_text(use: ImageUse, tag: str, digest: str | None = None) -> str:
    """The text for a field: a tag, a whole reference, the repository name, or a digest."""
    if use.field == "tag":
        value = tag
    elif use.field == "name":
        value = use.image.written_name
    elif use.field == "digest":
        value = digest or ""
    else:
        value = use.image.with_tag(tag)
    return rendered(use, value)


def rendered(use: ImageUse, value: str) -> str:
    """The text that replaces ``use.span``: the value, quoted when needed, placed in
    ``use.insert`` for a field that does not exist yet."""
    text = render(use.quote, value)
    return use.insert.replace("{value}", text) if use.insert else text


def digests_wanted(uses: Sequence[ImageUse], policies: Policies, tags: TagLists, narrow: Narrow = None) -> dict[str, list[str]]:
    """Per repository, the chosen tags whose digest a ``digest`` field needs and nobody gave."""
    wanted: dict[str, set[str]] = {}
    for use in uses:
        policy = policies.get(use.policy)
        listed = listed_for(use, tags, narrow)
        if use.field != "digest" or not isinstance(policy, Policy) or not isinstance(listed, Sequence):
            continue
        chosen = policy.select(listed, current=use.image.tag).chosen
        if chosen is not None and not _digest_of(listed, chosen):
            wanted.setdefault(use.image.repository, set()).add(chosen)
    return {repo: sorted(found) for repo, found in wanted.items()}


def _digest_of(listed: Sequence[TagInfo], tag: str) -> str | None:
    return next((info.digest for info in listed if info.tag == tag and info.digest), None)


def _same_repository(name: str | None, repository: str) -> bool:
    try:
        return name is not None and normalise_repository(name) == repository
    except AutomatorError:
        return False


def _part_update(use: ImageUse, listed: Sequence[TagInfo], chosen: str, reason: str, rules=None) -> Update | Problem | None:
    """The update of a ``name`` or ``digest`` field (None when it already holds the right text).

    The digest of a tag that rules chose instead of the policy's best was not fetched with the
    others; ``rules`` (when given) asks the tag source for it.
    """
    where = f"{use.file}:{use.line}"
    if use.field == "name":
        if _same_repository(use.current, use.image.repository):
            return None
        name = use.image.written_name
        return Update(use, use.current or "", name, new_text(use, chosen), f"the name of the repository its policy scans ({name})")
    if use.policy.digest_reflection == "IfNotPresent" and use.current and use.image.tag in (None, chosen):
        return None  # Flux's IfNotPresent: a written digest stays while the tag does (or no tag is known)
    digest = _digest_of(listed, chosen) or (rules.digest(use, chosen) if rules is not None else None)
    if digest is None:
        return Problem(f"{where}: {use.image.repository}: the digest of tag {chosen} is not known", use.file, use.image.repository, use.line)
    if digest == use.current:
        return None
    return Update(use, use.current or "", digest, new_text(use, chosen, digest), f"{reason}; the digest of {chosen}")


def plan_updates(
    uses: Sequence[ImageUse],
    tags: TagLists,
    policies: Policies,
    problems: Sequence[Problem] = (),
    rules=None,
    narrow: Narrow = None,
) -> Plan:
    """Select a tag for every use; never downgrade; everything that fails is a Problem.

    ``rules`` (an :class:`automator.rules.runtime.BoundRules`) filters candidates (hold,
    freeze, minimum age, change size), promotes from other environments and keeps digests
    consistent with their tags. ``narrow`` restricts each use's candidates (event-driven runs).
    """
    updates: list[Update] = []
    found: list[Problem] = list(problems)
    unpinned: set[tuple[str, str, str, str]] = set()  # image entries whose digest cannot follow their tag
    chosen: dict[tuple, Selection] = {}  # the same policy, repository and current tag select once
    shared: dict[int, Remembering] = {}  # one per policy: specs written alike share it
    remembering = {spec: shared.get(id(p)) or shared.setdefault(id(p), Remembering(p))
                   for spec, p in policies.items() if isinstance(p, Policy)}
    for use in sorted(uses, key=lambda u: (u.file, u.span.start)):
        where = f"{use.file}:{use.line}"
        repository = use.image.repository
        policy = remembering.get(use.policy) or policies.get(use.policy)
        if policy is None:
            try:
                policy = make_policy(use.policy)
            except AutomatorError as error:
                policy = error
        if isinstance(policy, AutomatorError):
            found.append(Problem(f"{where}: container {use.container}: {policy}", use.file, repository, use.line))
            continue
        listed = listed_for(use, tags, narrow)
        if listed is None or isinstance(listed, AutomatorError):
            why = str(listed) if listed is not None else f"{repository}: no tags were listed"
            if repository not in why:
                why = f"{repository}: {why}"
            found.append(Problem(f"{where}: {why}", use.file, repository, use.line))
            continue
        key = (use.policy, repository, use.image.tag)  # narrowing depends on these alone
        try:
            if rules is not None:  # rules depend on the file and workload: select per use
                selection = rules.select(use, listed, policy)
            else:
                selection = chosen.get(key) or chosen.setdefault(key, policy.select(listed, current=use.image.tag))
            whole = rules is not None and selection.chosen is not None and use.field in ("image", "tag")
            value = rules.new_value(use, selection.chosen) if whole else None
        except AutomatorError as error:
            found.append(Problem(f"{where}: {error}", use.file, repository, use.line))
            continue
        if selection.chosen is None:
            found.append(Problem(f"{where}: {repository}: {selection.reason}", use.file, repository, use.line))
            continue
        if use.field in ("name", "digest"):
            part = _part_update(use, listed, selection.chosen, selection.reason, rules)
            if isinstance(part, Update):
                updates.append(part)
            elif part is not None:
                found.append(part)
                unpinned.update([_entry_of(use)] if use.field == "digest" else [])
            continue
        if selection.chosen == use.image.tag and value is None:
            continue
        reason = selection.reason if selection.chosen != use.image.tag else f"the digest of {selection.chosen} moved"
        text = rendered(use, value) if value is not None else new_text(use, selection.chosen)
        updates.append(Update(use, use.image.tag or "", selection.chosen, text, reason))
    updates, found = _without_stale_digests(updates, found, unpinned)
    return Plan(tuple(updates), tuple(_distinct(found)), tuple(uses))


def _entry_of(use: ImageUse) -> tuple[str, str, str, str]:
    return use.file, use.dialect, use.workload, use.container


def _without_stale_digests(updates: list[Update], found: list[Problem], unpinned: set) -> tuple[list[Update], list[Problem]]:
    """A tag is not moved away from the digest written beside it when the new tag's digest is
    not known (the digest would still deploy the old image): the tag update becomes a problem."""
    kept: list[Update] = []
    for update in updates:
        use = update.use
        if use.field == "tag" and _entry_of(use) in unpinned:
            found.append(Problem(f"{use.file}:{use.line}: {use.image.repository}: tag {update.to_tag} is not written without "
                                 "its digest (the digest beside it would still deploy the old image)",
                                 use.file, use.image.repository, use.line))
        else:
            kept.append(update)
    return kept, found


class Remembering:
    """A policy that ranks each tag list once and selects once per tag list and current tag:
    rules select per use (they depend on its file and workload), but where they ask the policy
    itself, uses of one repository ask the same question of the same listing, and uses on other
    current tags share the ranking (:meth:`Policy.scan`)."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._scans: dict[int, Scan] = {}
        self._selections: dict[tuple[int, str | None], tuple[Sequence[TagInfo], Selection]] = {}

    def select(self, tags: Sequence[TagInfo], current: str | None = None) -> Selection:
        key = (id(tags), current)
        kept = self._selections.get(key)
        if kept is not None and kept[0] is tags:  # the list is kept with it: its id stays its own
            return kept[1]
        scan = self._scans.get(id(tags))
        if scan is None or scan.tags is not tags:  # the scan keeps its list, so the id is its own
            scan = self._scans[id(tags)] = self._policy.scan(tags)
        selection = self._policy.decide(scan, current)
        self._selections[key] = (tags, selection)
        return selection

    def __getattr__(self, name: str):
        return getattr(self._policy, name)


def _distinct(problems: Sequence[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
