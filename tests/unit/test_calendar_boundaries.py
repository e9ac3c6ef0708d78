"""Where business time starts and stops: lunch, the end of the day, outside hours, UTC starts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from hub.calendars.arithmetic import add_business, business_between, is_working, next_working_moment
from tests.unit.calendar_helpers import CN, at, due

# Wednesday 25 February 2026 is an ordinary working day in Shanghai.


@pytest.mark.parametrize(
    ("start", "spec", "expected"),
    [
        (
            "2026-02-25T09:00:00+08:00",
            "3bh",
            "2026-02-25T12:00:00+08:00",
        ),  # the end of the morning, not 13:00
        ("2026-02-25T09:00:00+08:00", "4bh", "2026-02-25T14:00:00+08:00"),  # lunch skipped
        ("2026-02-25T11:30:00+08:00", "1bh", "2026-02-25T13:30:00+08:00"),
        ("2026-02-25T12:00:00+08:00", "1bm", "2026-02-25T13:01:00+08:00"),
        ("2026-02-25T12:30:00+08:00", "1bh", "2026-02-25T14:00:00+08:00"),
        ("2026-02-25T17:59:00+08:00", "1bm", "2026-02-25T18:00:00+08:00"),
        ("2026-02-25T18:00:00+08:00", "1bm", "2026-02-26T09:01:00+08:00"),
        ("2026-02-25T09:00:00+08:00", "1bd", "2026-02-25T18:00:00+08:00"),
        ("2026-02-25T10:00:00+08:00", "1bd", "2026-02-26T10:00:00+08:00"),
        ("2026-02-24T17:00:00+08:00", "1bd", "2026-02-25T17:00:00+08:00"),
        ("2026-02-25T09:00:00+08:00", "9bh", "2026-02-26T10:00:00+08:00"),
        ("2026-02-25T07:00:00+08:00", "1bh", "2026-02-25T10:00:00+08:00"),  # before opening
        ("2026-03-06T18:30:00+08:00", "1bh", "2026-03-09T10:00:00+08:00"),  # Friday evening
        ("2026-02-25T09:00:00+08:00", "3bd", "2026-02-27T18:00:00+08:00"),
        ("2026-02-25T09:00:00+08:00", "180bm", "2026-02-25T12:00:00+08:00"),
    ],
)
def test_boundaries(start: str, spec: str, expected: str) -> None:
    assert due(start, spec) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-02-25T10:15:00+08:00", "2026-02-25T10:15:00+08:00"),  # working: the start itself
        ("2026-02-25T12:00:00+08:00", "2026-02-25T13:00:00+08:00"),  # a period's end is not working time
        ("2026-02-25T18:00:00+08:00", "2026-02-26T09:00:00+08:00"),
        ("2026-02-28T11:00:00+08:00", "2026-02-28T11:00:00+08:00"),  # make-up Saturday
        ("2026-03-01T11:00:00+08:00", "2026-03-02T09:00:00+08:00"),  # Sunday
    ],
)
def test_zero_duration_is_the_next_working_moment(start: str, expected: str) -> None:
    assert due(start, "0bm") == expected
    assert next_working_moment(CN, at(start)) == at(expected)


def test_a_start_given_in_utc() -> None:
    assert due("2026-02-25T01:00:00Z", "3bh") == "2026-02-25T12:00:00+08:00"
    assert due("2026-02-25T01:00:00Z", "7bh") == "2026-02-25T17:00:00+08:00"
    # 23:30 UTC on the 24th is 07:30 on the 25th in Shanghai: the clock starts at 09:00.
    assert due("2026-02-24T23:30:00Z", "1bh") == "2026-02-25T10:00:00+08:00"
    result = add_business(CN, at("2026-02-25T01:00:00Z"), timedelta(hours=3))
    assert result.utcoffset() == timedelta(0)  # UTC out, for storage


def test_seconds_and_microseconds_are_kept_exactly() -> None:
    assert due("2026-02-25T11:59:59.250000+08:00", "1bm") == "2026-02-25T13:00:59.250000+08:00"


def test_is_working() -> None:
    assert is_working(CN, at("2026-02-25T09:00:00+08:00"))
    assert is_working(CN, at("2026-02-25T11:59:59+08:00"))
    assert not is_working(CN, at("2026-02-25T12:00:00+08:00"))
    assert not is_working(CN, at("2026-02-25T18:00:00+08:00"))
    assert not is_working(CN, at("2026-02-17T10:00:00+08:00"))  # Spring Festival


def test_measuring() -> None:
    between = business_between
    assert between(CN, at("2026-02-25T09:00:00+08:00"), at("2026-02-25T18:00:00+08:00")) == timedelta(hours=8)
    assert between(CN, at("2026-02-25T11:00:00+08:00"), at("2026-02-25T14:00:00+08:00")) == timedelta(hours=2)
    # Starts and ends outside working time: worth nothing (the glossary's out-of-hours rule).
    assert between(CN, at("2026-02-25T19:00:00+08:00"), at("2026-02-26T08:00:00+08:00")) == timedelta(0)
    # A whole 2025 in Shanghai: 248 working days of 8 hours, make-up days included.
    year = between(CN, at("2025-01-01T00:00:00+08:00"), at("2026-01-01T00:00:00+08:00"))
    workdays = chinese_calendar.get_workdays(date(2025, 1, 1), date(2025, 12, 31))
    assert len(workdays) == 248 and year == timedelta(hours=8 * 248)
    # Reversed intervals measure negative, so sums of consecutive pieces always add up.
    assert between(CN, at("2026-02-25T18:00:00+08:00"), at("2026-02-25T09:00:00+08:00")) == -timedelta(
        hours=8
    )


@pytest.mark.parametrize("bad", [datetime(2026, 2, 25, 9)])
def test_naive_datetimes_are_refused(bad: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business(CN, bad, timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        business_between(CN, bad, at("2026-02-25T10:00:00+08:00"))


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business(CN, at("2026-02-25T09:00:00+08:00"), timedelta(minutes=-1))
