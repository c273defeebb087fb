"""``numerical[:asc|desc]`` (Flux v2): tags that are numbers, ordered by value.

``asc`` (the default) chooses the greatest number, ``desc`` the smallest. A tag is a number
when it is a decimal like ``42``, ``-3``, ``1.5`` or ``1e6``; anything else (``latest``,
``v1``, ``nan``, ``inf``) is ignored, never an error. Values compare exactly, so numbers
beyond float precision (17-digit millisecond timestamps, long build numbers) still order.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from automator.policy.alphabetical import parse_order
from automator.policy.base import Policy, Rank
from automator.tags import TagInfo

NOT_A_NUMBER = "not a number"
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class NumericalPolicy(Policy):
    kind = "numerical"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order = parse_order(self.kind, self.argument)
        self.descending = self.order == "desc"

    def rank(self, value: str, info: TagInfo) -> Rank:
        if _NUMBER.fullmatch(value) is None:
            return False, NOT_A_NUMBER
        try:
            return True, Decimal(value)
        except InvalidOperation:  # an exponent beyond what any number needs
            return False, NOT_A_NUMBER

    def winner_phrase(self, key: object) -> str:
        return "the greatest number" if self.order == "asc" else "the smallest number"
