"""``AUTOMATOR_CACHE_TTL``: how long a cached tag list is fresh, in seconds or written as
durations are elsewhere (``--every 5m``, ``AUTOMATOR_HEALTH_MAX_AGE``); a value the tool cannot
read is an error naming the variable, never the 5-minute default taken in silence."""

from __future__ import annotations

import pytest

from automator.context import Context
from automator.errors import ExitCode, UsageError


@pytest.mark.parametrize(("value", "seconds"), [
    ("900", 900.0), ("0", 0.0), ("0.5", 0.5), ("inf", float("inf")),
    ("15m", 900.0), ("1h30m", 5400.0), ("30s", 30.0), ("0s", 0.0), (" 5m ", 300.0),
])
def test_seconds_and_intervals_are_read(value, seconds):
    assert Context({"AUTOMATOR_CACHE_TTL": value}).cache_ttl == seconds


def test_unset_or_empty_leaves_the_default():
    assert Context({}).cache_ttl is None
    assert Context({"AUTOMATOR_CACHE_TTL": ""}).cache_ttl is None


@pytest.mark.parametrize("value", ["abc", "-5", "-5m", "nan", "15 minutes", "5x"])
def test_anything_else_is_a_usage_error_naming_the_variable(value):
    with pytest.raises(UsageError) as caught:
        Context({"AUTOMATOR_CACHE_TTL": value}).cache_ttl  # noqa: B018
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value).startswith(f"AUTOMATOR_CACHE_TTL must be a number of seconds (0 or more) or an interval such as 15m, not {value!r}")
