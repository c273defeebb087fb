"""Tag policies: pure code that chooses a tag from a list and says why.

Others call :func:`make_policy` (validating factory, raises
:class:`automator.errors.PolicyError`), then ``policy.select(tags, current)`` which returns an
:class:`automator.model.Selection`. ``POLICIES`` is the table of kinds. The semver helpers
:func:`parse_version` and :func:`semver_change_size` read tags as Masterminds/semver does.
"""

from automator.policy.base import Policy
from automator.policy.constraint import Constraint, parse_constraint
from automator.policy.factory import POLICIES, make_policy
from automator.policy.version import Version, compare_versions, parse_version, semver_change_size

__all__ = [
    "POLICIES",
    "Constraint",
    "Policy",
    "Version",
    "compare_versions",
    "make_policy",
    "parse_constraint",
    "parse_version",
    "semver_change_size",
]
