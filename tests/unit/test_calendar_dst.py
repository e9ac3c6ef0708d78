"""A calendar with daylight saving time (America/New_York; DST 2026 runs 8 March to 1 November).

The rules (hub.calendars.wall): periods are wall-clock times; a boundary the clock skips moves to
the jump; a repeated boundary takes its first occurrence; a period is worth the real time that
passes between its boundaries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.calendars.arithmetic import add_business, business_between
from hub.calendars.model import Calendar
from hub.calendars.wall import wall_to_utc
from hub.calendars.weekly import office_week, parse_week
from tests.unit.calendar_helpers import at, due

NY = ZoneInfo("America/New_York")
OFFICE = Calendar(name="ny", zone=NY, week=office_week("09:00-17:00"))
NIGHTS = Calendar(name="ny-nights", zone=NY, week=parse_week(["mon-sun=00:00-06:00"]))
ALWAYS = Calendar(name="ny-24x7", zone=NY, week=parse_week(["mon-sun=00:00-24:00"]))


@pytest.mark.parametrize(
    ("day", "clock", "expected_utc"),
    [
        (date(2026, 3, 8), 1 * 3600 + 1800, "2026-03-08T06:30:00+00:00"),  # 01:30 EST
        (date(2026, 3, 8), 2 * 3600, "2026-03-08T07:00:00+00:00"),  # skipped: the jump (03:00 EDT)
        (date(2026, 3, 8), 2 * 3600 + 1800, "2026-03-08T07:00:00+00:00"),  # skipped: the jump
        (date(2026, 3, 8), 3 * 3600, "2026-03-08T07:00:00+00:00"),  # 03:00 EDT
        (date(2026, 11, 1), 1 * 3600 + 1800, "2026-11-01T05:30:00+00:00"),  # repeated: first (EDT)
        (date(2026, 11, 1), 2 * 3600, "2026-11-01T07:00:00+00:00"),  # 02:00 EST
    ],
)
def test_wall_clock_to_instant(day: date, clock: int, expected_utc: str) -> None:
    assert wall_to_utc(NY, day, clock) == datetime.fromisoformat(expected_utc)


def test_office_hours_keep_their_length_across_the_change() -> None:
    # Friday 6 March 16:00 EST + 2bh: one hour on Friday, one on Monday (now EDT).
    assert due("2026-03-06T16:00:00-05:00", "2bh", OFFICE) == "2026-03-09T10:00:00-04:00"
    assert due("2026-10-30T16:00:00-04:00", "2bh", OFFICE) == "2026-11-02T10:00:00-05:00"
    week = business_between(OFFICE, at("2026-03-02T00:00:00-05:00"), at("2026-03-16T00:00:00-04:00"))
    assert week == timedelta(hours=80)


def test_a_night_shift_over_spring_forward_is_an_hour_shorter() -> None:
    start, end = at("2026-03-08T00:00:00-05:00"), at("2026-03-08T06:00:00-04:00")
    assert business_between(NIGHTS, start, end) == timedelta(hours=5)
    # 4 business hours from midnight: 00:00-02:00 EST, then 03:00-05:00 EDT.
    assert (
        add_business(NIGHTS, start, timedelta(hours=4)).astimezone(NY).isoformat()
        == "2026-03-08T05:00:00-04:00"
    )


def test_a_night_shift_over_fall_back_is_an_hour_longer() -> None:
    start, end = at("2026-11-01T00:00:00-04:00"), at("2026-11-01T06:00:00-05:00")
    assert business_between(NIGHTS, start, end) == timedelta(hours=7)
    assert due("2026-11-01T00:00:00-04:00", "7bh", NIGHTS) == "2026-11-01T06:00:00-05:00"


def test_round_the_clock_business_time_is_elapsed_time() -> None:
    # Saturday noon EST + 24 business hours = Sunday 13:00 EDT (24 real hours, 25 on the wall).
    assert due("2026-03-07T12:00:00-05:00", "24bh", ALWAYS) == "2026-03-08T13:00:00-04:00"
    assert business_between(
        ALWAYS, at("2026-03-07T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00")
    ) == timedelta(hours=47)


def test_a_period_wholly_inside_the_gap_is_worth_nothing() -> None:
    gap_only = Calendar(name="gap", zone=NY, week=parse_week(["mon-sun=02:15-02:45,09:00-10:00"]))
    sunday = date(2026, 3, 8)
    assert len(gap_only.intervals_on(sunday)) == 1
    assert len(gap_only.intervals_on(sunday + timedelta(days=1))) == 2


def test_results_are_utc_and_print_in_the_zone() -> None:
    result = add_business(OFFICE, datetime(2026, 3, 9, 13, 0, tzinfo=UTC), timedelta(hours=1))
    assert result == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # 10:00 EDT
