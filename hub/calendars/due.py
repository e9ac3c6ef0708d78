"""A due instant from a start and a duration spec, with the years the calendar had to guess.

The SLA clocks and ``hub sla due`` both come through here, so "the calendar does not know 2027"
is reported the same way everywhere instead of being answered silently by the weekly schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hub.calendars.arithmetic import add_business
from hub.calendars.durations import DurationSpec
from hub.calendars.model import Calendar


@dataclass(frozen=True)
class Due:
    #: The due instant, in the calendar's zone.
    at: datetime
    #: Years crossed whose holidays the calendar does not know (counted by the weekly schedule).
    unknown_years: tuple[int, ...] = ()


def compute_due(calendar: Calendar, start: datetime, spec: DurationSpec) -> Due:
    if not spec.business:
        if start.tzinfo is None:
            raise ValueError(f"start must be timezone-aware, got {start.isoformat()}")
        # Through UTC: adding to a zoned datetime would add wall-clock time, not elapsed time.
        elapsed = start.astimezone(UTC) + spec.length(calendar.business_day)
        return Due(at=elapsed.astimezone(calendar.zone))
    at = add_business(calendar, start, spec.length(calendar.business_day)).astimezone(calendar.zone)
    first = start.astimezone(calendar.zone).year
    return Due(at=at, unknown_years=calendar.unknown_years(first, at.year))
