"""Rule values: what a rules file says, as small frozen dataclasses.

A :class:`RuleSet` is an ordered tuple of :class:`Rule`. A rule has a :class:`Match` (path
globs, image globs, change sizes) and settings; every setting left out is ``None`` and does
not override what earlier rules said. The effective :class:`Settings` for one image (and one
candidate change size) merge all matching rules in order: the last rule that sets a key wins.
"""

from __future__ import annotations

from dataclasses import field, fields, replace
from datetime import timedelta
from typing import Literal

from automator.values import value_type

ChangeSize = Literal["patch", "minor", "major"]
WriteMode = Literal["commit", "pr"]
PrGroup = Literal["run", "image"]
CHANGE_SIZES: tuple[ChangeSize, ...] = ("patch", "minor", "major")


@value_type
class FreezeWindow:
    """A weekly window ``start -> end`` in ``timezone``; minutes count from Monday 00:00."""

    start: int
    end: int
    timezone: str
    text: str


@value_type
class Follow:
    """Promotion: take the tag that runs in ``path`` once it has run there for ``soak``."""

    path: str
    container: str | None = None


@value_type
class Match:
    paths: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    change: tuple[ChangeSize, ...] = ()


@value_type
class Settings:
    """What rules decide for an image; ``None`` means "not said" (the default applies)."""

    policy: str | None = None
    write: WriteMode | None = None
    pr_group: PrGroup | None = None
    pr_labels: tuple[str, ...] | None = None
    min_age: timedelta | None = None
    max_change: ChangeSize | None = None
    freeze: tuple[FreezeWindow, ...] | None = None
    hold: bool | None = None
    follow: Follow | None = None
    soak: timedelta | None = None
    digest: bool | None = None
    platform: str | None = None

    def over(self, base: Settings) -> Settings:
        """These settings laid over ``base``: every key said here wins."""
        said = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        return replace(base, **said)


@value_type
class Rule:
    match: Match
    settings: Settings
    name: str = ""
    source: str = ""
    line: int | None = None

    @property
    def where(self) -> str:
        label = f"rule {self.name!r}" if self.name else "rule"
        return f"{label} ({self.source}:{self.line})" if self.line else label


@value_type
class RuleSet:
    rules: tuple[Rule, ...] = ()
    sources: tuple[str, ...] = field(default=(), compare=False)

    def then(self, other: RuleSet) -> RuleSet:
        """``other``'s rules after these (so they override)."""
        return RuleSet(self.rules + other.rules, self.sources + other.sources)


DEFAULT_WRITE: WriteMode = "commit"
DEFAULT_FOLLOW_WRITE: WriteMode = "pr"
DEFAULT_SOAK = timedelta(hours=24)
DEFAULTS = Settings(pr_group="run", pr_labels=(), hold=False, freeze=(), soak=DEFAULT_SOAK, digest=False)


def with_defaults(settings: Settings) -> Settings:
    """The settings with the built-in default filled in for every key that has one."""
    return settings.over(DEFAULTS)
