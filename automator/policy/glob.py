"""``glob:<pattern>`` (Flux v1): tags matching a glob where only ``*`` is special.

``*`` matches any run of characters (also none); every other character, ``?`` and ``[``
included, stands for itself, as in Flux v1. The whole tag must match. Order: build time
(see :mod:`automator.policy.buildtime`).

Matching never backtracks: the text before the first ``*`` must start the tag, the text after
the last one must end it, and each piece in between is found at its leftmost place after the
previous one (taking the leftmost place never loses a match, because a ``*`` absorbs whatever
lies between). Time is at worst the product of the tag and pattern lengths, never exponential.
"""

from __future__ import annotations

from automator.policy.buildtime import BuildTimePolicy


class Glob:
    """A compiled ``*`` glob; :meth:`fullmatch` says whether a whole text matches."""

    __slots__ = ("text", "_pieces")

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self._pieces = pattern.split("*")

    def fullmatch(self, value: str) -> bool:
        pieces = self._pieces
        if len(pieces) == 1:
            return value == pieces[0]
        first, last = pieces[0], pieces[-1]
        if len(value) < len(first) + len(last) or not value.startswith(first) or not value.endswith(last):
            return False
        pos, stop = len(first), len(value) - len(last)
        for piece in pieces[1:-1]:
            found = value.find(piece, pos, stop)
            if found < 0:
                return False
            pos = found + len(piece)
        return True


class GlobPolicy(BuildTimePolicy):
    kind = "glob"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._glob = Glob(self.argument)
        self.mismatch = f"does not match glob {self.argument!r}"

    def matches(self, value: str) -> bool:
        return self._glob.fullmatch(value)
