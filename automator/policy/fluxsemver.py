"""``semver`` as Flux v2's image-reflector-controller reads tags.

Flux parses a tag strictly: ``X.Y.Z`` (no leading zeros), an optional ``-prerelease`` and
``+build``, after an optional leading ``v``. ``1.2``, ``v1``, ``01.2.3`` and bare numbers such
as ``20240501`` are not versions to it, while Masterminds' loose reading (used by Flux v1
annotations, native annotations and Argo CD Image Updater) takes them as ``1.2.0``,
``1.0.0``, ``1.2.3`` and ``20240501.0.0``. Constraints and ordering are the same as
:mod:`automator.policy.semver`. ImagePolicy objects use this kind
(``PolicySpec.strict_versions``).
"""

from __future__ import annotations

import re

from automator.policy.base import Rank
from automator.policy.semver import NOT_A_VERSION, SemverPolicy
from automator.policy.version import parse_key
from automator.tags import TagInfo

_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
STRICT_VERSION = re.compile(
    rf"v?{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
    rf"(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
NOT_STRICT = "not a version as Flux reads it (X.Y.Z, optional v)"


def is_strict_version(tag: str) -> bool:
    """Whether Flux v2 reads ``tag`` as a version."""
    return STRICT_VERSION.fullmatch(tag) is not None


class FluxSemverPolicy(SemverPolicy):
    """``semver:<range>`` over the tags Flux v2 reads as versions."""

    def rank(self, value: str, info: TagInfo) -> Rank:
        if STRICT_VERSION.fullmatch(value) is None:
            return False, NOT_STRICT if parse_key(value) is not None else NOT_A_VERSION
        return super().rank(value, info)
