"""Build times at the edges of the calendar never stop a selection.

Python's datetime holds years 1-9999 only. A time written with an offset can be inside that
range as written and outside it in UTC (``9999-12-31T23:00:00-05:00``), and a time at the very
end of year 9999 rounded through a float timestamp became year 10000: both made
``automator select`` exit 70. Such a time is refused where times are read, exactly as an
unreadable time is there: stdin's time column is a usage error, a registry's ``created`` is no
build time, a tags file's entry is an error of that repository. Build-time keys hold the
exact moment, so the winner's time is shown as it was given.
"""

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy
from automator.policy.buildtime import parse_rfc3339
from automator.registry.formats import parse_time
from automator.tagfile import FileTagSource

ROOT = Path(__file__).resolve().parent.parent
BEYOND_UTC = ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"]


@pytest.mark.parametrize("text", BEYOND_UTC)
def test_a_time_outside_years_1_to_9999_in_utc_is_refused_where_it_is_read(text):
    with pytest.raises(ValueError, match="falls outside years 1-9999 in UTC"):
        parse_rfc3339(text)


def test_the_last_microsecond_of_year_9999_is_a_build_time_shown_exactly():
    last = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    tags = [TagInfo("main-a", created=last), TagInfo("main-b", created=datetime(2024, 1, 1, tzinfo=timezone.utc))]
    selection = make_policy(PolicySpec("glob:main-*")).select(tags)
    assert selection.chosen == "main-a"
    assert "(built 9999-12-31T23:59:59.999999Z)" in selection.reason


def test_a_given_build_time_beyond_utc_ranks_as_an_unknown_one():
    """A TagInfo made by code, not parsed: it cannot be ordered, so it counts as no build time."""
    beyond = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    tags = [TagInfo("main-z", created=beyond), TagInfo("main-b", created=datetime(2024, 1, 1, tzinfo=timezone.utc))]
    selection = make_policy(PolicySpec("glob:main-*")).select(tags)
    assert selection.chosen == "main-b"
    assert "(built 2024-01-01T00:00:00Z)" in selection.reason


def test_a_registry_time_past_year_9999_in_utc_is_no_build_time():
    """(Times in 1970 or before were already none: reproducible builds stamp the epoch.)"""
    assert parse_time("9999-12-31T23:00:00-05:00") is None


def test_a_tags_file_time_outside_years_1_to_9999_in_utc_is_an_error_of_that_repository():
    text = (
        'app: [{tag: main-a, created: "9999-12-31T23:00:00-05:00"}]\n'
        'web: [{tag: main-b, created: "2024-01-01T00:00:00Z"}]\n'
    )
    table = FileTagSource.parse(text, "tags.yaml").tags
    assert "falls outside years 1-9999 in UTC" in str(table["docker.io/library/app"])
    assert table["docker.io/library/web"][0].created == datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_select_refuses_such_a_time_column_as_a_usage_error():
    """Such a line used to exit 70 ("internal error: ValueError: year 10000 is out of range")."""
    done = subprocess.run([sys.executable, "-m", "automator", "select", "glob:main-*"], input="main-a 9999-12-31T23:00:00-05:00\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert "stdin line 1" in done.stderr and "internal error" not in done.stderr
    assert "falls outside years 1-9999 in UTC" in done.stderr  # what is wrong with it, not just that it is no time
