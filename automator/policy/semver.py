"""``semver:<constraint>``: the highest version tag inside a Masterminds/semver range."""

from __future__ import annotations

from automator.policy.base import Policy, Rank
from automator.policy.constraint import parse_constraint
from automator.policy.version import parse_key
from automator.tags import TagInfo

NOT_A_VERSION = "not a version"
PRERELEASE = "prerelease not admitted by the constraint"
OUTSIDE = "outside the range"


class SemverPolicy(Policy):
    kind = "semver"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.constraint = parse_constraint(self.argument)
        self._check = self.constraint.check_key
        self._any_pre = self.constraint.mentions_prerelease

    def rank(self, value: str, info: TagInfo) -> Rank:
        parsed = parse_key(value)
        if parsed is None:
            return False, NOT_A_VERSION
        key = parsed[0]
        if self._check(key):
            return True, key
        if key[3] == 0 and not self._any_pre:
            return False, PRERELEASE
        return False, OUTSIDE

    def winner_phrase(self, key: object) -> str:
        return "the highest version in range"
