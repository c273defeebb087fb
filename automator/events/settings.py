"""The event settings of a run: which pushed images it is about (``--pushed``, ``--event``)."""

from __future__ import annotations

from automator.events.pushed import PushedImage
from automator.events.source import PushedScope
from automator.values import value_type


@value_type
class EventSettings:
    """``pushed`` None: a full run (every automated image, tags listed); a tuple (maybe empty,
    for an event that held no tagged push): an event-driven run about those images only."""

    pushed: tuple[PushedImage, ...] | None = None

    @property
    def scope(self) -> PushedScope | None:
        return PushedScope(self.pushed) if self.pushed is not None else None


FULL_RUN = EventSettings()
