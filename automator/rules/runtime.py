"""Rules at work in one run: the I/O edge around the pure rule functions.

``make_plan(root, source, rules=RulesRuntime.load(...))`` asks it, for every automated image:

* :meth:`RulesRuntime.select` instead of ``policy.select``: hold, freeze, change-size and
  minimum-age filters, or promotion from another environment (``follow``);
* :meth:`RulesRuntime.new_value` for the replacement text (the digest moves with the tag; a
  followed image takes the digest that runs upstream, and only with its promotion);
* :meth:`RulesRuntime.write_settings` for the write mode, PR grouping and labels of an update;
* :meth:`RulesRuntime.save` once at the end (first-seen times in the cache directory).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

from automator.errors import AutomatorError, ManifestError, RegistryError
from automator.model import ImageUse, Selection, TagInfo, Update
from automator.rules import annotations as notes
from automator.rules.discover import find_rules_file, load_rule_set, repository_root
from automator.rules.filters import SelectingPolicy, exclusion, select_with_rules
from automator.rules.firstseen import FirstSeenFile, first_seen, remember
from automator.rules.match import change_size, is_downgrade, settings_for
from automator.rules.model import (
    DEFAULT_FOLLOW_WRITE,
    DEFAULT_SOAK,
    DEFAULT_WRITE,
    ChangeSize,
    RuleSet,
    Settings,
)
from automator.rules.optin import RulesLocator, rules_locator
from automator.rules.promotion import Revision, Upstream, file_history, running_upstream
from automator.rules.values import expand_follow_path, format_duration, parse_duration
from automator.tagsource import TagSource
from automator.values import value_type

History = Callable[[Path, str], Iterable[Revision]]
_NO_SETTINGS = Settings()


@value_type
class WriteSettings:
    mode: str
    pr_group: str
    labels: tuple[str, ...]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RulesRuntime:
    rules: RuleSet
    base: Path
    now: datetime
    repo_root: Path | None = None
    state: dict[str, dict[str, str]] = field(default_factory=dict)
    state_file: FirstSeenFile = field(default_factory=lambda: FirstSeenFile(None))
    history: History = file_history
    unshallow: Callable[[], bool] | None = None  # deepens a shallow clone the tool made itself
    decisions: list[tuple[ImageUse, Selection]] = field(default_factory=list)  # for explain
    _notes: dict[Path, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    _plain: set[str] = field(default_factory=set)  # paths read this run that mention no rule annotation
    _remembered: set[str] = field(default_factory=set)
    _paths: dict[tuple[str, str], str] = field(default_factory=dict)
    # every followed use -> the upstream it is promoted to this run (None: it stays)
    _followed: dict[tuple[str, object], Upstream | None] = field(default_factory=dict)

    @property
    def _ages_tags(self) -> bool:
        """First-seen times are kept only while some rule asks for a minimum age."""
        return any(rule.settings.min_age for rule in self.rules.rules)

    @classmethod
    def load(
        cls,
        root: Path,
        *,
        scan_path: Path | None = None,
        rules_file: Path | None = None,
        cache_dir: Path | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> RulesRuntime:
        """Read the rules file (``rules_file`` or the one found for the scanned path) and state."""
        root = root.resolve()
        found = rules_file or find_rules_file(scan_path or root, root)
        rules = load_rule_set(found)
        base = found.resolve().parent if found and rules_file is None else (repository_root(root) or root)
        store = FirstSeenFile(cache_dir)
        return cls(rules, base, clock(), repository_root(root), store.load(), store)

    @classmethod
    def empty(cls, root: Path, *, clock: Callable[[], datetime] = _utcnow) -> RulesRuntime:
        """No rules file and no state: annotations (hold, follow) and digests still work."""
        root = Path(root).resolve()
        top = repository_root(root)
        return cls(RuleSet(), top or root, clock(), top)

    def save(self) -> None:
        if self._remembered:
            self.state_file.save(self.state)

    def bind(self, root: Path, source: TagSource) -> BoundRules:
        """What the planning core calls for a run under ``root`` with tags from ``source``."""
        return BoundRules(self, Path(root), source)

    def locator(self, root: Path) -> RulesLocator | None:
        """The ``rules`` dialect for this run (images opted in by rules or by follow)."""
        return rules_locator(self.rules, lambda file: self.rule_path(root, file))

    # --- lookups ------------------------------------------------------------------------------

    def rule_path(self, root: Path, file: str) -> str:
        """A file's path as rule globs see it: relative to the rules file's directory."""
        key = (str(root), file)
        found = self._paths.get(key)
        if found is None:
            full = (Path(root) / file).resolve()
            try:
                found = full.relative_to(self.base).as_posix()
            except ValueError:
                found = PurePosixPath(file).as_posix()
            self._paths[key] = found
        return found

    def note_read_files(self, kept: Mapping[str, object]) -> None:
        """Learn from the bytes the run's walk already read (path -> bytes) which files mention
        no hold, follow or soak annotation: :meth:`annotations` does not read those again."""
        screens = tuple(key.encode() for key in notes.SCREEN)
        self._plain.update(
            path for path, data in kept.items() if isinstance(data, bytes) and not any(s in data for s in screens)
        )

    def annotations(self, root: Path, use: ImageUse) -> dict[str, str]:
        """The ``automator.dev/`` hold/follow/soak annotations of the use's workload."""
        if self._plain and os.path.join(os.fspath(root), use.file) in self._plain:
            return {}
        path = Path(root) / use.file
        if path not in self._notes:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._notes[path] = notes.annotations_by_line(text) if notes.mentions_rule_annotations(text) else []
        return notes.annotations_at_line(self._notes[path], use.line)

    def settings(self, root: Path, use: ImageUse, size: ChangeSize | None = None) -> Settings:
        if not self.rules.rules:
            return _NO_SETTINGS
        return settings_for(self.rules, self.rule_path(root, use.file), use.image.repository, size)

    # --- selection ----------------------------------------------------------------------------

    def select(self, root: Path, use: ImageUse, tags: Sequence[TagInfo], policy: SelectingPolicy, source: TagSource) -> Selection:
        repository, current = use.image.repository, use.image.tag
        if self._ages_tags and repository not in self._remembered:
            self._remembered.add(repository)
            self.state = remember(self.state, repository, (t.tag for t in tags), self.now)
        found = self.annotations(root, use)
        held_by = "held by annotation automator.dev/hold" if notes.is_held(found) else None
        upstream = notes.follow_path(found, use.container) or self._rule_follow(root, use)
        if upstream:
            return self._promote(root, use, upstream, held_by, policy)

        if not self.rules.rules and held_by is None:  # nothing can filter: the policy alone
            return policy.select(tags, current)

        def created_of(tag: TagInfo) -> datetime | None:
            return self._created(source, repository, tag)

        return select_with_rules(
            policy, tags, current, settings_of=lambda size: self.settings(root, use, size),
            now=self.now, created_of=created_of, held_by=held_by,
            seen_of=lambda tag: first_seen(self.state, repository, tag.tag),
        )

    def _created(self, source: TagSource, repository: str, tag: TagInfo) -> datetime | None:
        try:
            info = source.metadata(repository, [tag.tag]).get(tag.tag)
        except AutomatorError:
            info = None
        return info.created if isinstance(info, TagInfo) else None

    def _rule_follow(self, root: Path, use: ImageUse) -> str | None:
        follow = self.settings(root, use).follow
        if follow is None or (follow.container and follow.container != use.container):
            return None
        path = PurePosixPath(self.rule_path(root, use.file))
        return expand_follow_path(follow.path, {"file": path.as_posix(), "name": path.name, "dir": path.parent.as_posix()})

    def _promote(
        self, root: Path, use: ImageUse, upstream_path: str, held_by: str | None, policy: SelectingPolicy
    ) -> Selection:
        current, key = use.image.tag, _use_key(use)
        self._followed[key] = None  # its digest moves only with a promotion
        target = (self.base / upstream_path).resolve()
        git_root = self.repo_root or self.base
        try:
            relative = target.relative_to(git_root).as_posix()
        except ValueError:
            return Selection(current, f"follow: {upstream_path} is outside the repository {git_root}")
        upstream = self._running_upstream(git_root, relative, use)
        if upstream is None:
            return Selection(current, f"follow: no single tag of {use.image.repository} committed in {relative}")
        size = change_size(current, upstream.tag)
        soak = self._soak(root, use, size)
        if not upstream.known:
            why = (f"the history of {relative} is shallow: cannot tell since when {upstream.tag} runs there "
                   "(fetch the full history, e.g. git fetch --unshallow)")
            return Selection(current, f"stays on {current}: {why}", 1, ((upstream.tag, why),))
        if self._runs_upstream(root, use, upstream):
            return Selection(current, f"already on {current}, as {relative}", considered=1)
        if not upstream.soaked(soak, self.now):
            why = f"{upstream.describe(self.now)}; soak time {format_duration(soak)} not reached"
            return Selection(current, f"stays on {current}: {why}", 1, ((upstream.tag, why),))
        if not policy.admits(upstream.tag):
            why = f"{upstream.tag} from {relative} is outside this image's policy"
            return Selection(current, f"stays on {current}: {why}", 1, ((upstream.tag, why),))
        if is_downgrade(current, upstream.tag):
            why = f"{upstream.tag} in {relative} is older than {current}: never downgrade"
            return Selection(current, f"stays on {current}: {why}", 1, ((upstream.tag, why),))

        def settings_of(size: ChangeSize | None) -> Settings:
            return replace(self.settings(root, use, size), min_age=None)  # the soak time rules

        why = exclusion(TagInfo(upstream.tag), current, settings_of=settings_of, now=self.now,
                        created_of=lambda tag: None, held_by=held_by)
        if why:
            return Selection(current, f"stays on {current}: {why}", 1, ((upstream.tag, why),))
        self._followed[key] = upstream
        return Selection(upstream.tag, f"promoted from {relative}: {upstream.describe(self.now)}, "
                         f"soak {format_duration(soak)}; upstream commit {upstream.commit}", 1)

    def _soak(self, root: Path, use: ImageUse, size: ChangeSize | None) -> timedelta:
        """The workload's annotation, else the rules for a move of that size, else the default
        (``0s`` is a soak time too: promote at once)."""
        for said in (_annotation_soak(self.annotations(root, use), use), self.settings(root, use, size).soak):
            if said is not None:
                return said
        return DEFAULT_SOAK

    def _runs_upstream(self, root: Path, use: ImageUse, upstream: Upstream) -> bool:
        """Whether the image already runs what runs upstream (its digest too, when it pins one)."""
        ref = use.image
        if upstream.tag != ref.tag:
            return False
        keeps_digest = use.policy.digest_reflection == "IfNotPresent" and bool(ref.digest)
        return upstream.digest in (None, ref.digest) or keeps_digest or not self._pins(root, use, None)

    def _pins(self, root: Path, use: ImageUse, size: ChangeSize | None) -> bool:
        """Whether the field holds ``tag@digest`` after a move of that size: written with a
        digest, Flux's digest reflection, or a rule's ``digest: true``. A tag key written
        ``tag@digest`` (charts document ``tag: 1.2@sha256:...``) keeps its digest too."""
        ref = use.image
        reflect = use.policy.digest_reflection  # Flux's digestReflectionPolicy, '' elsewhere
        wanted = bool(ref.digest) or reflect in ("Always", "IfNotPresent") or bool(self.settings(root, use, size).digest)
        pinned_tag = use.field == "tag" and bool(ref.digest) and "@" in (use.current or "")
        return wanted and (use.field == "image" or pinned_tag)

    def _running_upstream(self, git_root: Path, relative: str, use: ImageUse) -> Upstream | None:
        def read() -> Upstream | None:
            return running_upstream(relative, self.history(git_root, relative), use.image.repository, use.container)

        found = read()
        if found is not None and not found.known and self.unshallow is not None:
            fetch, self.unshallow = self.unshallow, None  # one fetch per run at most
            if fetch():
                found = read()
        return found

    # --- text and write -----------------------------------------------------------------------

    def new_value(self, root: Path, use: ImageUse, to_tag: str, source: TagSource) -> str | None:
        """The new value of the field (unquoted); ``None`` when nothing changes.

        ``repo:tag@sha256:...`` keeps its digest consistent: the digest of ``to_tag`` is read
        through ``source.metadata``; a rule with ``digest: true`` pins digests that were not
        written yet. A followed image takes the digest that runs upstream, and its digest
        moves only with a promotion. Raises :class:`RegistryError` when the digest cannot be learnt.
        """
        ref = use.image
        if use.policy.digest_reflection == "IfNotPresent" and ref.digest and to_tag == ref.tag:
            return None  # the digest is resolved only when the tag changes or none is written
        size = change_size(ref.tag, to_tag)
        if not self._pins(root, use, size):
            if to_tag == ref.tag:
                return None
            return ref.with_tag(to_tag) if use.field == "image" else to_tag
        key = _use_key(use)
        upstream = self._followed.get(key)
        if key in self._followed and upstream is None:
            return None  # a followed image stays, and so does its digest
        digest = upstream.digest if upstream is not None else None
        if digest is None:
            digest = _registry_digest(source, ref.repository, to_tag, self.settings(root, use, size).platform)
        if use.field == "tag":  # a tag key written tag@digest
            return None if (to_tag, digest) == (ref.tag, ref.digest) else f"{to_tag}@{digest}"
        text = ref.with_tag(to_tag, digest)
        return None if text == ref.written else text

    def promotion_of(self, update: Update) -> Upstream | None:
        """The upstream that an update promotes from (also when only its digest moves)."""
        return self._followed.get(_use_key(update.use))

    def write_settings(self, root: Path, update: Update) -> WriteSettings:
        size = change_size(update.from_tag, update.to_tag)
        settings = self.settings(root, update.use, size)
        promoted = self.promotion_of(update) is not None or update.reason.startswith("promoted from ")
        mode = settings.write or (DEFAULT_FOLLOW_WRITE if promoted else DEFAULT_WRITE)
        return WriteSettings(mode, settings.pr_group or "run", settings.pr_labels or ())


def _use_key(use: ImageUse) -> tuple[str, object]:
    """A field of the run (the tree a plan is made in may be a worktree of the checkout)."""
    return use.file, use.span


def _registry_digest(source: TagSource, repository: str, tag: str, platform: str | None) -> str:
    """The digest of ``tag`` (of its ``platform`` image inside an index, when given)."""
    if platform:
        return _platform_digest(source, repository, tag, platform)
    info = source.metadata(repository, [tag]).get(tag)
    if not isinstance(info, TagInfo) or not info.digest:
        detail = f": {info}" if isinstance(info, AutomatorError) else ""
        raise RegistryError(f"no digest for {repository}:{tag}{detail}",
                            hint="the digest must move with the tag; check the registry")
    return info.digest


def _platform_digest(source: TagSource, repository: str, tag: str, platform: str) -> str:
    lookup = getattr(source, "platform_digest", None)
    if lookup is None:
        raise RegistryError(f"{repository}:{tag}: a platform digest ({platform}) needs the registry",
                            hint="run without --tags-from, or drop the rule's platform:")
    return lookup(repository, tag, platform)


@dataclass
class BoundRules:
    """The rules of one run bound to its root and tag source; records every decision."""

    runtime: RulesRuntime
    root: Path
    source: TagSource

    def select(self, use: ImageUse, tags: Sequence[TagInfo], policy: SelectingPolicy) -> Selection:
        selection = self.runtime.select(self.root, use, tags, policy, self.source)
        self.runtime.decisions.append((use, selection))
        return selection

    def new_value(self, use: ImageUse, to_tag: str) -> str | None:
        return self.runtime.new_value(self.root, use, to_tag, self.source)

    def digest(self, use: ImageUse, tag: str) -> str | None:
        """The digest of ``tag`` from the tag source, for a ``digest`` field; None when unknown."""
        try:
            info = self.source.metadata(use.image.repository, [tag]).get(tag)
        except AutomatorError:
            return None
        return info.digest if isinstance(info, TagInfo) else None


def _annotation_soak(found: dict[str, str], use: ImageUse) -> timedelta | None:
    text = found.get(notes.SOAK)
    try:
        return parse_duration(text) if text else None
    except ValueError as error:
        raise ManifestError(f"{use.file}:{use.line}: {notes.SOAK}: {error}") from None
