"""``alphabetical[:asc|desc]`` (Flux v2): tags ordered by their characters.

``asc`` (the default) chooses the last tag in ascending order (``RELEASE.2024-05-01`` over
``RELEASE.2024-04-30``); ``desc`` chooses the first. Every tag qualifies.
"""

from __future__ import annotations

from automator.policy.base import Policy, Rank
from automator.tags import TagInfo

ORDERS = ("asc", "desc")


def parse_order(kind: str, argument: str) -> str:
    order = argument or "asc"
    if order not in ORDERS:
        raise ValueError(f"unknown order {argument!r} for {kind}: use {kind}:asc or {kind}:desc")
    return order


class AlphabeticalPolicy(Policy):
    kind = "alphabetical"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order = parse_order(self.kind, self.argument)
        self.descending = self.order == "desc"

    def rank(self, value: str, info: TagInfo) -> Rank:
        return True, value

    def winner_phrase(self, key: object) -> str:
        return "the last in alphabetical order" if self.order == "asc" else "the first in alphabetical order"
