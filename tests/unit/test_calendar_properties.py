"""Properties that must hold for every start and duration, in a plain and in a DST calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.calendars.arithmetic import add_business, business_between, next_working_moment
from hub.calendars.model import Calendar
from hub.calendars.weekly import parse_week
from tests.unit.calendar_helpers import CN

# Night and split shifts around New York's 02:00 DST changes, and a weekend with a short day.
NY_SHIFTS = Calendar(
    name="ny-shifts",
    zone=ZoneInfo("America/New_York"),
    week=parse_week(["mon-fri=00:30-02:30,08:00-12:00,13:00-17:00", "sat=01:00-03:00", "sun=22:00-24:00"]),
)
CALENDARS = st.sampled_from([CN, NY_SHIFTS])
STARTS = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=8 * 25))
PROPERTY = settings(max_examples=300, deadline=None)


def _inside_or_at_period_end(calendar: Calendar, moment: datetime) -> bool:
    day = moment.astimezone(calendar.zone).date()
    return any(
        start <= moment <= end
        for offset in (-1, 0, 1)
        for start, end in calendar.intervals_on(day + timedelta(days=offset))
    )


@PROPERTY
@given(calendar=CALENDARS, start=STARTS, duration=DURATIONS)
def test_adding_then_measuring_round_trips(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    due = add_business(calendar, start, duration)
    assert business_between(calendar, start, due) == duration


@PROPERTY
@given(calendar=CALENDARS, start=STARTS, first=DURATIONS, second=DURATIONS)
def test_adding_is_monotonic_and_composes(
    calendar: Calendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    short, long = sorted((first, second))
    assert add_business(calendar, start, short) <= add_business(calendar, start, long)
    if first > timedelta(0):
        # Adding in two steps lands on the same instant as adding the sum.
        step = add_business(calendar, start, first)
        assert add_business(calendar, step, second) == add_business(calendar, start, first + second)


@PROPERTY
@given(calendar=CALENDARS, start=STARTS, duration=DURATIONS)
def test_the_due_instant_is_working_time_or_a_period_end(
    calendar: Calendar, start: datetime, duration: timedelta
) -> None:
    due = add_business(calendar, start, duration)
    assert due >= start
    assert _inside_or_at_period_end(calendar, due)
    if duration == timedelta(0):
        assert due == next_working_moment(calendar, start)


@PROPERTY
@given(calendar=CALENDARS, a=STARTS, b=STARTS, c=STARTS)
def test_measuring_is_additive(calendar: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    assert business_between(calendar, a, b) + business_between(calendar, b, c) == business_between(
        calendar, a, c
    )
    assert business_between(calendar, a, b) == -business_between(calendar, b, a)
