"""Freeze windows: weekly, on the wall clock of their time zone, across DST changes."""

from datetime import datetime, timezone

import pytest

from automator.rules import parse_rules
from automator.rules.windows import active_window, in_window


def window(start: str, end: str, zone: str = "Europe/Berlin"):
    text = f"rules:\n  - freeze:\n      - {{from: {start}, to: {end}, timezone: {zone}}}\n"
    return parse_rules(text, "r.yaml").rules[0].settings.freeze[0]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


WEEKEND = window("Fri 16:00", "Mon 08:00")


@pytest.mark.parametrize(
    ("now", "frozen"),
    [
        # winter (CET = UTC+1): 2026-01-16 is a Friday
        ("2026-01-16T14:59", False),  # Fri 15:59 Berlin
        ("2026-01-16T15:00", True),  # Fri 16:00 Berlin: the window starts
        ("2026-01-18T12:00", True),  # Sunday
        ("2026-01-19T06:59", True),  # Mon 07:59 Berlin
        ("2026-01-19T07:00", False),  # Mon 08:00 Berlin: the window has ended
        ("2026-01-21T12:00", False),  # Wednesday
        # summer (CEST = UTC+2): the same wall-clock times are an hour earlier in UTC
        ("2026-07-17T13:59", False),
        ("2026-07-17T14:00", True),
        ("2026-07-20T05:59", True),
        ("2026-07-20T06:00", False),
    ],
)
def test_a_weekend_freeze_follows_the_local_wall_clock(now, frozen):
    assert in_window(WEEKEND, utc(now)) is frozen


NIGHT = window("Sat 22:00", "Sun 02:30")


@pytest.mark.parametrize(
    ("now", "frozen"),
    [
        # spring forward, 2026-03-29: 02:00 CET jumps to 03:00 CEST, 02:30 never happens
        ("2026-03-29T00:59", True),  # 01:59 CET
        ("2026-03-29T01:00", False),  # 03:00 CEST: past the end that was skipped
        # fall back, 2026-10-25: 03:00 CEST goes back to 02:00 CET, 02:00-03:00 happens twice
        ("2026-10-25T00:15", True),  # 02:15 CEST, first pass
        ("2026-10-25T00:45", False),  # 02:45 CEST
        ("2026-10-25T01:15", True),  # 02:15 CET, second pass: still before 02:30 local
        ("2026-10-25T01:30", False),  # 02:30 CET
    ],
)
def test_dst_edges(now, frozen):
    assert in_window(NIGHT, utc(now)) is frozen


def test_a_window_in_another_zone_and_the_first_active_window():
    tokyo = window("Tue 09:00", "Tue 12:00", "Asia/Tokyo")
    tuesday_10_tokyo = utc("2026-01-20T01:00")  # Tue 02:00 in Berlin: no weekend there
    assert in_window(tokyo, tuesday_10_tokyo)
    assert active_window((WEEKEND, tokyo), tuesday_10_tokyo) is tokyo
    assert active_window((WEEKEND,), tuesday_10_tokyo) is None


def test_the_clock_must_know_its_time_zone():
    with pytest.raises(ValueError, match="time-zone-aware"):
        in_window(WEEKEND, datetime(2026, 1, 16, 16, 0))


MORNING = window("Sun 02:30", "Sun 06:00")


@pytest.mark.parametrize(
    ("now", "frozen"),
    [
        # fall back, 2026-10-25: the window starts at 02:30 CEST on the first pass of 02:00-03:00
        ("2026-10-25T00:15", False),  # 02:15 CEST, first pass: not yet
        ("2026-10-25T00:45", True),  # 02:45 CEST: started
        ("2026-10-25T01:15", True),  # 02:15 CET, second pass: a started freeze does not lapse
        ("2026-10-25T01:45", True),  # 02:45 CET
        ("2026-10-25T04:59", True),  # 05:59 CET
        ("2026-10-25T05:00", False),  # 06:00 CET: ended
    ],
)
def test_a_freeze_that_began_in_the_repeated_hour_holds_through_its_second_pass(now, frozen):
    assert in_window(MORNING, utc(now)) is frozen


DAWN = window("Sun 03:00", "Sun 06:00")
SKIPPED_START = window("Sun 02:30", "Sun 06:00")


@pytest.mark.parametrize(
    ("frozen_by", "now", "frozen"),
    [
        # fall back, 2026-10-25: 02:00-03:00 happens twice, and 03:00 comes after the second pass
        (DAWN, "2026-10-25T00:30", False),  # 02:30 CEST, first pass
        (DAWN, "2026-10-25T01:30", False),  # 02:30 CET, second pass: neither pass is at 03:00 yet
        (DAWN, "2026-10-25T01:59", False),  # 02:59 CET
        (DAWN, "2026-10-25T02:00", True),  # 03:00 CET: the window starts
        # spring forward, 2026-03-29: 02:00 CET jumps to 03:00 CEST
        (DAWN, "2026-03-29T00:59", False),  # 01:59 CET
        (DAWN, "2026-03-29T01:00", True),  # 03:00 CEST
        (SKIPPED_START, "2026-03-29T00:59", False),  # 01:59 CET: 02:30 not reached
        (SKIPPED_START, "2026-03-29T01:00", True),  # 03:00 CEST: the skipped start is passed
        (SKIPPED_START, "2026-03-29T03:59", True),  # 05:59 CEST
        (SKIPPED_START, "2026-03-29T04:00", False),  # 06:00 CEST
    ],
)
def test_a_window_that_starts_after_the_repeated_hour_does_not_begin_during_its_second_pass(frozen_by, now, frozen):
    assert in_window(frozen_by, utc(now)) is frozen
