"""``glob:<pattern>`` (Flux v1): tags matching a glob where only ``*`` is special.

``*`` matches any run of characters (also none); every other character, ``?`` and ``[``
included, stands for itself, as in Flux v1. The whole tag must match. Order: build time
(see :mod:`automator.policy.buildtime`).
"""

from __future__ import annotations

import re

from automator.policy.buildtime import BuildTimePolicy


def glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


class GlobPolicy(BuildTimePolicy):
    kind = "glob"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._glob = glob_regex(self.argument)
        self.mismatch = f"does not match glob {self.argument!r}"

    def matches(self, value: str) -> bool:
        return self._glob.fullmatch(value) is not None
