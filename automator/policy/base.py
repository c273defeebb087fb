"""What every tag policy shares: the optional filter/extract step and the selection loop.

A policy kind only says, for one (possibly extracted) value, whether it qualifies and with
which sort key (:meth:`Policy.rank`). Selection is the same for every kind:

* the winner is the qualifying tag with the greatest key; among equal keys (``1.10`` and
  ``1.10.0``, or two tags extracting the same value) the lexically greatest tag wins, so the
  choice never depends on the order of the input;
* never downgrade: when ``current`` qualifies and its key is at or above the winner's, the
  current tag is kept (and the reason says so);
* the chosen tag is returned exactly as listed (``v`` prefixes and all).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from automator.policy.exclusion import ARTEFACT_PREFIX, exclusion_test
from automator.tags import Selection, TagInfo

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a start-up its import; annotations are not evaluated
    from typing import Any, ClassVar

    from automator.policy.pattern import GoRegex, Template
    from automator.tags import PolicySpec

EXCLUDED_KEPT = 100  # (tag, why) pairs stored in a Selection; counts always cover all tags

Rank = tuple[bool, "Any"]  # (True, sort key) or (False, why it does not qualify)


class Scan:
    """What :meth:`Policy.scan` found in one tag list: the winner, its key, the counts for the
    reason and the bounded sample of tags that do not qualify."""

    __slots__ = ("tags", "best", "best_key", "counts", "excluded", "excluded_count", "_by_tag")

    def __init__(self, tags: Sequence[TagInfo], best: str | None, best_key: Any, counts: str,
                 excluded: tuple[tuple[str, str], ...], excluded_count: int) -> None:
        self.tags = tags
        self.best = best
        self.best_key = best_key
        self.counts = counts
        self.excluded = excluded
        self.excluded_count = excluded_count
        self._by_tag: dict[str, TagInfo] | None = None

    def info(self, tag: str) -> TagInfo:
        """The listed entry of ``tag`` (the last one when listed twice), or a bare one."""
        if self._by_tag is None:
            self._by_tag = {info.tag: info for info in self.tags}
        return self._by_tag.get(tag) or TagInfo(tag)


class Policy:
    """Base of the policy kinds. Build instances with :func:`automator.policy.make_policy`."""

    kind: ClassVar[str] = ""
    needs_build_time: ClassVar[bool] = False
    descending: bool = False  # True: the smallest key is the best (alphabetical:desc ...)

    def __init__(
        self,
        spec: PolicySpec,
        argument: str,
        filter_regex: GoRegex | None = None,
        template: Template | None = None,
    ) -> None:
        self.spec = spec
        self.argument = argument
        self._filter = filter_regex
        self._template = template
        self._not_filtered = f"does not match filter {spec.filter!r}" if spec.filter else ""
        self._excluded = exclusion_test(spec.exclude)  # signing artefacts and spec.exclude

    # --- what a kind defines ------------------------------------------------------------------

    def rank(self, value: str, info: TagInfo) -> Rank:
        """``(True, key)`` when ``value`` qualifies, else ``(False, why)``."""
        raise NotImplementedError

    def above(self, a: Any, b: Any) -> bool:
        """Whether key ``a`` orders strictly above key ``b``."""
        return a < b if self.descending else a > b

    def describe(self) -> str:
        """The policy in words for reasons and errors, e.g. ``semver '>=1.2 <2'``."""
        text = f"{self.kind} {self.argument!r}" if self.argument else self.kind
        if self._filter is not None:
            text += f" on tags matching {self.spec.filter!r}"
            if self._template is not None:
                text += f" (comparing {self._template.text!r})"
        return text

    # --- the shared part ----------------------------------------------------------------------

    def rank_info(self, info: TagInfo) -> Rank:
        value = info.tag
        why = self._excluded(value)
        if why is not None:
            return False, why
        if self._filter is not None:
            m = self._filter.search(value)
            if m is None:
                return False, self._not_filtered
            if self._template is not None:
                value = self._template.expand(m)
        return self.rank(value, info)

    def admits(self, tag: str) -> bool:
        """Whether the tag qualifies at all (filter, then the kind's own test)."""
        return self.rank_info(TagInfo(tag))[0]

    def orders_above(self, a: TagInfo, b: TagInfo) -> bool:
        """Whether ``a`` is strictly preferred to ``b``; tags that do not qualify order last."""
        ok_a, key_a = self.rank_info(a)
        ok_b, key_b = self.rank_info(b)
        if not ok_a:
            return False
        return not ok_b or self.above(key_a, key_b)

    def select(self, tags: Sequence[TagInfo], current: str | None = None) -> Selection:
        return self.decide(self.scan(tags), current)

    def scan(self, tags: Sequence[TagInfo]) -> Scan:
        """The part of a selection that does not depend on the current tag: the winner among
        ``tags`` and why the others do not qualify (a caller may keep it for several current tags)."""
        descending = self.descending
        rank = self.rank if self._filter is None and not self.spec.exclude else None
        best_key: Any = None
        best: str | None = None
        qualifying = 0
        whys: Counter[str] = Counter()
        excluded: list[tuple[str, str]] = []
        for info in tags:
            tag = info.tag
            fast = rank is not None and not tag.startswith(ARTEFACT_PREFIX)
            ok, key = rank(tag, info) if fast else self.rank_info(info)
            if not ok:
                whys[key] += 1
                if len(excluded) < EXCLUDED_KEPT:
                    excluded.append((tag, key))
                continue
            qualifying += 1
            if best is None or ((key < best_key) if descending else (key > best_key)):
                best_key, best = key, tag
            elif key == best_key and tag > best:
                best = tag
        return Scan(tags, best, best_key, _counts(len(tags), qualifying, whys), tuple(excluded), sum(whys.values()))

    def decide(self, scan: Scan, current: str | None = None) -> Selection:
        """The selection from a :meth:`scan`: its winner, unless ``current`` qualifies and orders
        at or above it (never downgrade)."""
        best, best_key, counts = scan.best, scan.best_key, scan.counts

        def result(chosen: str | None, reason: str) -> Selection:
            return Selection(chosen, reason, len(scan.tags), scan.excluded, scan.excluded_count)

        if current is not None:
            ok, current_key = self.rank_info(scan.info(current))
            if ok and (best is None or not self.above(best_key, current_key)):
                if best is None or best == current:
                    why = "no other tag qualifies" if best is None else "it is the best candidate"
                else:
                    why = f"it orders at or above the best candidate {best}"
                return result(current, f"{self.describe()}: keeping current {current}: {why} ({counts})")
            if not ok and best is not None:
                note = f"; current {current} does not qualify ({current_key})"
            elif best is not None:
                note = f"; current {current} orders below it"
            else:
                note = f"; current {current} does not qualify either ({current_key})"
        else:
            note = ""
        if best is None:
            return result(None, f"{self.describe()}: no tag qualifies ({counts}){note}")
        return result(best, f"{self.describe()}: chose {best}, {self.winner_phrase(best_key)} ({counts}){note}")

    def winner_phrase(self, key: Any) -> str:
        """How the winner won, for the reason (``key`` is the winner's sort key)."""
        return "the highest qualifying tag"


def _counts(considered: int, qualifying: int, whys: Counter[str]) -> str:
    text = f"{considered} tag{'s' if considered != 1 else ''} considered, {qualifying} qualif{'y' if qualifying != 1 else 'ies'}"
    if whys:
        parts = ", ".join(f"{n} {why}" for why, n in whys.most_common(4))
        more = sum(whys.values()) - sum(n for _, n in whys.most_common(4))
        if more:
            parts += f", {more} for other reasons"
        text += f"; excluded: {parts}"
    return text
