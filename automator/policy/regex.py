"""``regex:<pattern>`` / ``regexp:<pattern>`` (Flux v1): tags in which the pattern is found.

The match is a search (unanchored, as Go's ``MatchString``); write ``^...$`` to match the
whole tag. The pattern is Go's RE2 syntax and matches in linear time
(:mod:`automator.policy.pattern`). Order: build time (see :mod:`automator.policy.buildtime`).
"""

from __future__ import annotations

from automator.policy.buildtime import BuildTimePolicy
from automator.policy.pattern import compile_go_regex


class RegexPolicy(BuildTimePolicy):
    kind = "regex"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._regex = compile_go_regex(self.argument)
        self.mismatch = f"does not match regex {self.argument!r}"

    def matches(self, value: str) -> bool:
        return self._regex.search(value) is not None
