"""The built-in ``cn`` calendar across China's statutory holidays and make-up workdays (调休).

Expected instants are worked out by hand from the State Council schedules, which
``chinese_calendar`` 1.11 carries for 2004-2026: 09:00-12:00 and 13:00-18:00, Monday to Friday.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.calendars import china
from hub.calendars.arithmetic import business_between
from hub.calendars.due import compute_due
from hub.calendars.durations import parse_duration
from hub.calendars.model import DayKind
from tests.unit.calendar_helpers import CN, at, due


def test_cn_is_shanghai_office_hours_with_an_eight_hour_business_day() -> None:
    assert CN.zone.key == "Asia/Shanghai"
    assert [str(p) for p in CN.standard_day] == ["09:00-12:00", "13:00-18:00"]
    assert CN.business_day == timedelta(hours=8)


def test_chinese_calendar_covers_2004_to_at_least_2026() -> None:
    years = china.covered_years()
    assert years.start == 2004 and years.stop - 1 >= 2026
    assert CN.knows_year(2026) and CN.knows_year(2025)


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        # 2025 Spring Festival: 28 Jan - 4 Feb off, Sun 26 Jan and Sat 8 Feb worked.
        ("2025-01-26", DayKind.WORKDAY),
        ("2025-01-28", DayKind.HOLIDAY),
        ("2025-02-04", DayKind.HOLIDAY),
        ("2025-02-08", DayKind.WORKDAY),
        # 2026 Spring Festival: 15-23 Feb off, Sat 14 Feb and Sat 28 Feb worked.
        ("2026-02-14", DayKind.WORKDAY),
        ("2026-02-15", DayKind.HOLIDAY),
        ("2026-02-23", DayKind.HOLIDAY),
        ("2026-02-28", DayKind.WORKDAY),
        # 2025 Labour Day 1-5 May (Sun 27 Apr worked); National Day 1-8 Oct (Sun 28 Sep, Sat 11 Oct).
        ("2025-04-27", DayKind.WORKDAY),
        ("2025-05-05", DayKind.HOLIDAY),
        ("2025-09-28", DayKind.WORKDAY),
        ("2025-10-08", DayKind.HOLIDAY),
        ("2025-10-11", DayKind.WORKDAY),
        # 2026 New Year 1-3 Jan off, Sun 4 Jan worked.
        ("2026-01-02", DayKind.HOLIDAY),
        ("2026-01-04", DayKind.WORKDAY),
    ],
)
def test_statutory_days_come_from_chinese_calendar(day: str, kind: DayKind) -> None:
    special = CN.special_days[date.fromisoformat(day)]
    assert special.kind is kind and special.source == "chinese_calendar"


@pytest.mark.parametrize(
    ("start", "spec", "expected"),
    [
        # Friday before: one hour on Fri, then the make-up Sunday 26 Jan is a full working day.
        ("2025-01-24T17:00:00+08:00", "1bd", "2025-01-26T17:00:00+08:00"),
        # The last half hour before the break, then nothing until Wed 5 Feb.
        ("2025-01-27T17:30:00+08:00", "1bh", "2025-02-05T09:30:00+08:00"),
        ("2025-01-28T10:00:00+08:00", "0bm", "2025-02-05T09:00:00+08:00"),
        # Friday 7 Feb, then the make-up Saturday 8 Feb.
        ("2025-02-07T16:00:00+08:00", "1bd", "2025-02-08T16:00:00+08:00"),
        # The make-up Saturday's evening: Sunday 9 Feb is an ordinary weekend day again.
        ("2025-02-08T17:00:00+08:00", "2bh", "2025-02-10T10:00:00+08:00"),
    ],
)
def test_2025_spring_festival(start: str, spec: str, expected: str) -> None:
    assert due(start, spec) == expected


@pytest.mark.parametrize(
    ("start", "spec", "expected"),
    [
        ("2026-02-13T17:00:00+08:00", "1bd", "2026-02-14T17:00:00+08:00"),
        ("2026-02-14T18:00:00+08:00", "1bm", "2026-02-24T09:01:00+08:00"),
        ("2026-02-20T10:00:00+08:00", "3bh", "2026-02-24T12:00:00+08:00"),
        ("2026-02-27T17:00:00+08:00", "3bh", "2026-02-28T11:00:00+08:00"),
        ("2026-02-28T17:00:00+08:00", "2bh", "2026-03-02T10:00:00+08:00"),
    ],
)
def test_2026_spring_festival(start: str, spec: str, expected: str) -> None:
    assert due(start, spec) == expected


def test_2026_spring_festival_measured() -> None:
    # Fri 13 Feb and the make-up Sat 14 Feb, nothing during the nine days off.
    assert business_between(
        CN, at("2026-02-13T09:00:00+08:00"), at("2026-02-24T09:00:00+08:00")
    ) == timedelta(hours=16)


@pytest.mark.parametrize(
    ("start", "spec", "expected"),
    [
        ("2025-04-25T18:00:00+08:00", "1bh", "2025-04-27T10:00:00+08:00"),
        ("2025-04-30T14:00:00+08:00", "1bd", "2025-05-06T14:00:00+08:00"),
        ("2025-05-01T09:00:00+08:00", "1bm", "2025-05-06T09:01:00+08:00"),
    ],
)
def test_2025_labour_day(start: str, spec: str, expected: str) -> None:
    assert due(start, spec) == expected


@pytest.mark.parametrize(
    ("start", "spec", "expected"),
    [
        ("2025-09-26T17:00:00+08:00", "2bh", "2025-09-28T10:00:00+08:00"),
        ("2025-09-30T10:00:00+08:00", "2bd", "2025-10-10T10:00:00+08:00"),
        ("2025-10-10T18:00:00+08:00", "30bm", "2025-10-11T09:30:00+08:00"),
        ("2025-10-11T18:00:00+08:00", "1bm", "2025-10-13T09:01:00+08:00"),
    ],
)
def test_2025_national_day(start: str, spec: str, expected: str) -> None:
    assert due(start, spec) == expected


@pytest.mark.parametrize(
    ("start", "spec", "expected"),
    [
        ("2026-04-30T17:00:00+08:00", "2bh", "2026-05-06T10:00:00+08:00"),  # 2026 Labour Day 1-5 May
        ("2026-05-08T18:00:00+08:00", "1bh", "2026-05-09T10:00:00+08:00"),  # make-up Sat 9 May
        ("2026-09-30T17:00:00+08:00", "1bd", "2026-10-08T17:00:00+08:00"),  # National Day 1-7 Oct
        ("2026-10-09T18:00:00+08:00", "1bh", "2026-10-10T10:00:00+08:00"),  # make-up Sat 10 Oct
    ],
)
def test_2026_labour_day_and_national_day(start: str, spec: str, expected: str) -> None:
    assert due(start, spec) == expected


@pytest.mark.parametrize(
    ("start", "spec", "expected"),
    [
        ("2024-12-31T17:30:00+08:00", "1bh", "2025-01-02T09:30:00+08:00"),  # 1 Jan 2025 only
        ("2025-12-31T17:00:00+08:00", "2bh", "2026-01-04T10:00:00+08:00"),  # 1-3 Jan off, Sun 4 worked
    ],
)
def test_new_year(start: str, spec: str, expected: str) -> None:
    assert due(start, spec) == expected


def test_a_year_chinese_calendar_does_not_know_is_reported_not_guessed() -> None:
    last = china.covered_years().stop - 1
    start = at(f"{last}-12-31T17:00:00+08:00")
    result = compute_due(CN, start, parse_duration("2bh"))
    assert result.unknown_years == (last + 1,)
    # Still answered, by the weekly schedule alone (1 Jan is then just a weekday or weekend).
    assert result.at > start


def test_covered_years_report_nothing() -> None:
    result = compute_due(CN, at("2025-09-30T10:00:00+08:00"), parse_duration("2bd"))
    assert result.unknown_years == ()
