"""The business calendar value type: a zone, a weekly schedule and the days that differ from it.

A calendar answers one question, "which instants of this local day are working time?", and
caches the answer per day, so adding or measuring business time costs a dictionary look-up per
day instead of a walk minute by minute.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from types import MappingProxyType
from zoneinfo import ZoneInfo

from hub.calendars.periods import Period
from hub.calendars.wall import wall_to_utc
from hub.calendars.weekly import Week
from hub.errors import InvalidInput

#: Real instants (UTC) of one day's working time, in order, each ``[start, end)``.
Intervals = tuple[tuple[datetime, datetime], ...]

_CACHE_LIMIT = 50_000  # days (over a century); cleared, not evicted, past that


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"
    WORKDAY = "workday"


@dataclass(frozen=True)
class SpecialDay:
    """A date that does not follow the weekly schedule: a holiday, or an extra (make-up) workday."""

    day: date
    kind: DayKind
    #: Periods of an extra workday; empty means the calendar's standard working day.
    periods: tuple[Period, ...] = ()
    note: str = ""
    #: Where the day comes from: ``admin`` (an override) or the name of a holiday source.
    source: str = "admin"

    def __post_init__(self) -> None:
        if self.kind is DayKind.HOLIDAY and self.periods:
            raise InvalidInput(detail=f"holiday {self.day} cannot have working periods")


@dataclass(frozen=True, eq=False)
class Calendar:
    """A named business calendar; immutable, so one instance can be shared and its cache trusted."""

    name: str
    zone: ZoneInfo
    week: Week
    special_days: Mapping[date, SpecialDay] = field(default_factory=dict)
    #: Years whose holidays the calendar knows; ``None`` means it has no holiday source to lack.
    known_years: frozenset[int] | None = None
    #: A human description of the holiday source, e.g. ``chinese_calendar 1.11.0 (2004-2026)``.
    source: str = ""
    _intervals: dict[int, Intervals] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise InvalidInput(detail="a weekly schedule needs 7 days, Monday first")
        if not any(self.week):
            raise InvalidInput(detail=f"calendar {self.name!r} has no working time in its week")
        object.__setattr__(self, "special_days", MappingProxyType(dict(self.special_days)))

    @cached_property
    def standard_day(self) -> tuple[Period, ...]:
        """The periods of a normal working day: the most common non-empty weekday (earliest on ties).

        Make-up workdays use these, and one business day (``1bd``) lasts as long as they do.
        """
        counts = Counter(day for day in self.week if day)
        return max(counts, key=lambda day: (counts[day], -self.week.index(day)))

    @cached_property
    def business_day(self) -> timedelta:
        return sum((p.length for p in self.standard_day), timedelta())

    def periods_on(self, day: date) -> tuple[Period, ...]:
        special = self.special_days.get(day)
        if special is None:
            return self.week[day.weekday()]
        if special.kind is DayKind.HOLIDAY:
            return ()
        return special.periods or self.standard_day

    def intervals_on(self, day: date) -> Intervals:
        """The working instants of a local day (cached; periods wholly inside a DST gap vanish)."""
        key = day.toordinal()
        found = self._intervals.get(key)
        if found is None:
            if len(self._intervals) >= _CACHE_LIMIT:
                self._intervals.clear()
            spans = (
                (wall_to_utc(self.zone, day, p.start), wall_to_utc(self.zone, day, p.end))
                for p in self.periods_on(day)
            )
            found = self._intervals[key] = tuple((s, e) for s, e in spans if e > s)
        return found

    def knows_year(self, year: int) -> bool:
        return self.known_years is None or year in self.known_years

    def unknown_years(self, first: int, last: int) -> tuple[int, ...]:
        return tuple(y for y in range(first, last + 1) if not self.knows_year(y))

    def days_in_year(self, year: int) -> list[SpecialDay]:
        return sorted((d for d in self.special_days.values() if d.day.year == year), key=lambda d: d.day)

    def with_days(self, days: Iterable[SpecialDay]) -> Calendar:
        """This calendar with ``days`` replacing its own on the same dates.

        A year in which an administrator has entered days counts as known from then on: entering
        the year's published schedule is how a new year becomes known (see ``hub calendar``).
        """
        days = list(days)
        merged = {**self.special_days, **{d.day: d for d in days}}
        known = self.known_years
        if known is not None:
            known = known | {d.day.year for d in days}
        return replace(self, special_days=merged, known_years=known)
