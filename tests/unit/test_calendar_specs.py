"""Parsing what people type: duration specs, working periods and weekly schedules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.calendars.builtin import assemble, zone
from hub.calendars.durations import DurationSpec, parse_duration
from hub.calendars.model import Calendar, DayKind, SpecialDay
from hub.calendars.names import check_name
from hub.calendars.periods import Period, parse_periods
from hub.calendars.weekly import describe_week, office_week, parse_week, week_from_json, week_to_json
from hub.errors import InvalidInput

EIGHT_HOURS = timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "business", "length"),
    [
        ("30m", False, timedelta(minutes=30)),
        ("24h", False, timedelta(hours=24)),
        ("2d", False, timedelta(days=2)),
        ("3bm", True, timedelta(minutes=3)),
        ("2bh", True, timedelta(hours=2)),
        ("3bd", True, timedelta(hours=24)),
        ("0bm", True, timedelta(0)),
        (" 5BH ", True, timedelta(hours=5)),
    ],
)
def test_duration_specs(text: str, business: bool, length: timedelta) -> None:
    spec = parse_duration(text)
    assert spec.business is business
    assert spec.length(EIGHT_HOURS) == length


def test_a_business_day_is_the_calendars_standard_day() -> None:
    assert parse_duration("1bd").length(timedelta(hours=7, minutes=30)) == timedelta(hours=7, minutes=30)
    assert str(DurationSpec(3, "d", True)) == "3bd"


@pytest.mark.parametrize("text", ["", "3", "bd", "3x", "3bw", "-1h", "1.5h", "3 b d", "1e3m", "100001m"])
def test_bad_duration_specs_say_what_is_accepted(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(text)
    assert "bd" in str(caught.value) or "at most" in str(caught.value)


def test_periods() -> None:
    assert parse_periods("13:00-18:00, 09:00-12:00") == (
        Period(9 * 3600, 12 * 3600),
        Period(13 * 3600, 18 * 3600),
    )
    assert str(Period.parse("22:00-24:00")) == "22:00-24:00"
    assert parse_periods("") == ()
    for bad in ["9-12", "09:00", "12:00-09:00", "09:00-24:30", "25:00-26:00", "09:60-10:00"]:
        with pytest.raises(InvalidInput):
            Period.parse(bad)
    with pytest.raises(InvalidInput, match="overlap"):
        parse_periods("09:00-12:00,11:00-13:00")


def test_weekly_schedules() -> None:
    week = parse_week(["mon-fri=09:00-12:00,13:00-18:00", "sat=09:00-12:00"])
    assert describe_week(week) == "mon-fri 09:00-12:00 13:00-18:00; sat 09:00-12:00"
    assert week_from_json(week_to_json(week)) == week
    assert week_to_json(week)["sun"] == []
    for bad in ["mon-fri", "fri-mon=09:00-10:00", "xyz=09:00-10:00"]:
        with pytest.raises(InvalidInput):
            parse_week([bad])
    with pytest.raises(InvalidInput, match="weekday keys"):
        week_from_json({"monday": ["09:00-10:00"]})


def test_standard_day_is_the_most_common_working_weekday() -> None:
    week = parse_week(["mon-thu=08:00-12:00,13:00-17:00", "fri=08:00-12:00", "sat=10:00-11:00"])
    calendar = Calendar(name="x", zone=zone("UTC"), week=week)
    assert calendar.business_day == EIGHT_HOURS
    # A make-up workday without its own periods works the standard day.
    saturday = date(2026, 3, 7)
    made_up = calendar.with_days([SpecialDay(saturday, DayKind.WORKDAY)])
    assert made_up.periods_on(saturday) == calendar.standard_day
    custom = calendar.with_days([SpecialDay(saturday, DayKind.WORKDAY, periods=parse_periods("09:00-10:00"))])
    assert custom.periods_on(saturday) == parse_periods("09:00-10:00")


def test_a_calendar_needs_working_time() -> None:
    with pytest.raises(InvalidInput, match="no working time"):
        Calendar(name="idle", zone=zone("UTC"), week=parse_week([]))
    with pytest.raises(InvalidInput, match="cannot have working periods"):
        SpecialDay(date(2026, 1, 1), DayKind.HOLIDAY, periods=parse_periods("09:00-10:00"))


def test_names_and_zones_are_checked() -> None:
    assert check_name("acme-sh_2") == "acme-sh_2"
    for bad in ["", "ACME", "-x", "a b", "x" * 65, "上海"]:
        with pytest.raises(InvalidInput):
            check_name(bad)
    with pytest.raises(InvalidInput, match="time zone"):
        zone("Mars/Olympus")
    with pytest.raises(InvalidInput, match="base"):
        assemble("x", "UTC", office_week("09:00-17:00"), "us")


def test_admin_days_override_the_base_and_make_their_year_known() -> None:
    cn = assemble("acme", "Asia/Shanghai", office_week("09:00-12:00", "13:00-18:00"), "cn")
    assert not cn.knows_year(2099)
    day = date(2099, 1, 1)
    updated = cn.with_days([SpecialDay(day, DayKind.HOLIDAY, note="元旦")])
    assert updated.knows_year(2099) and updated.periods_on(day) == ()
    assert not cn.knows_year(2099)  # the original is unchanged
    # Cancelling a statutory holiday: the admin's workday wins over chinese_calendar's holiday.
    festival = date(2026, 2, 16)
    assert cn.periods_on(festival) == ()
    assert cn.with_days([SpecialDay(festival, DayKind.WORKDAY)]).periods_on(festival) == cn.standard_day
    plain = assemble("plain", "UTC", office_week("09:00-17:00"), None)
    assert plain.known_years is None and plain.knows_year(2099)
