"""Active time: business (or calendar) time that runs only while the ticket is not paused.

A clock's due instant is the earliest instant at which its active time since the start equals the
promised duration. A pause (the ticket waits on the client) stops the clock; when it ends the clock
resumes, so the due instant moves by exactly the working time the pause covered. An open pause
(still waiting) leaves the due instant unknown, with the time that remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hub.calendars.arithmetic import add_business, business_between
from hub.calendars.model import Calendar

_ZERO = timedelta()

#: ``(start, end)`` of a pause; ``end`` is ``None`` while it lasts. Sorted and disjoint.
Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Reach:
    #: When the duration is used up; ``None`` when an open pause comes first.
    at: datetime | None
    #: Active time still to run when that open pause began (zero once reached).
    remaining: timedelta


def measure(calendar: Calendar, business: bool, start: datetime, end: datetime) -> timedelta:
    """Time in ``[start, end)``: working time for business durations, elapsed time otherwise."""
    if business:
        return business_between(calendar, start, end)
    return end.astimezone(UTC) - start.astimezone(UTC)


def advance(calendar: Calendar, business: bool, start: datetime, length: timedelta) -> datetime:
    """The earliest instant ``length`` after ``start`` (UTC)."""
    if business:
        return add_business(calendar, start, length)
    return start.astimezone(UTC) + length


def reach(
    calendar: Calendar,
    business: bool,
    start: datetime,
    length: timedelta,
    pauses: Sequence[Pause] = (),
) -> Reach:
    """When ``length`` of active time since ``start`` has elapsed, skipping ``pauses``."""
    remaining, cursor = length, start.astimezone(UTC)
    for paused, resumed in pauses:
        if resumed is not None and resumed <= cursor:
            continue
        if paused > cursor:
            available = measure(calendar, business, cursor, paused)
            if remaining <= available:
                return Reach(advance(calendar, business, cursor, remaining), _ZERO)
            remaining -= available
        if resumed is None:
            return Reach(None, remaining)
        cursor = max(cursor, resumed.astimezone(UTC))
    return Reach(advance(calendar, business, cursor, remaining), _ZERO)
