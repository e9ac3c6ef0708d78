"""Adding and measuring business time.

Working time is the union of the calendar's intervals ``[start, end)``. The rules, which the SLA
clocks and every report share:

* ``add_business(c, start, d)`` is the **earliest** instant at which the business time elapsed
  since ``start`` equals ``d``. So 3 business hours from 09:00 end at 12:00 (the end of the
  morning), not at 13:00, and a result is always inside working time or at the end of a period.
* A start outside working time starts the clock at the next working moment; in particular a zero
  duration yields the next working moment (the start itself when it is working time).
* ``business_between(c, start, end)`` is the business time in ``[start, end)``; it is negative
  when ``end`` comes first, so ``between(a, b) + between(b, c) == between(a, c)`` always holds.

Both walk day by day over cached intervals, never minute by minute: cost grows with the number of
days spanned.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from hub.calendars.model import Calendar

#: A calendar with no working time for this long is broken, not busy: stop instead of looping.
MAX_IDLE_DAYS = 3660
_ZERO = timedelta()
_DAY = timedelta(days=1)


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _intervals_after(calendar: Calendar, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals ending after ``moment`` (UTC), in order, clipped to start no earlier."""
    # Start a day early: with DST a period of the previous local day may end after local midnight.
    day = moment.astimezone(calendar.zone).date() - _DAY
    idle = 0
    while True:
        intervals = calendar.intervals_on(day)
        for start, end in intervals:
            if end > moment:
                yield max(start, moment), end
        idle = 0 if intervals else idle + 1
        if idle > MAX_IDLE_DAYS:
            raise ValueError(
                f"calendar {calendar.name!r} has no working time for {MAX_IDLE_DAYS} days after {day}"
            )
        day += _DAY


def add_business(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant (UTC) at which ``duration`` of business time has passed since ``start``."""
    if duration < _ZERO:
        raise ValueError(f"a business duration cannot be negative, got {duration}")
    remaining = duration
    for begin, end in _intervals_after(calendar, _utc(start, "start")):
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _intervals_after never ends")  # pragma: no cover


def next_working_moment(calendar: Calendar, moment: datetime) -> datetime:
    """``moment`` itself if it is working time, else the start of the next working period."""
    return add_business(calendar, moment, _ZERO)


def is_working(calendar: Calendar, moment: datetime) -> bool:
    return next_working_moment(calendar, moment) == _utc(moment, "moment")


def business_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Business time in ``[start, end)``; negative when ``end`` is before ``start``."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end < start:
        return -business_between(calendar, end, start)
    total = _ZERO
    for begin, finish in _intervals_after(calendar, start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total
