"""The weekly schedule: which periods each weekday has, and its text and JSON forms.

Stored as ``{"mon": ["09:00-12:00", "13:00-18:00"], ..., "sun": []}`` so an administrator can
read the database row, and written on the command line as ``mon-fri=09:00-12:00,13:00-18:00``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hub.calendars.periods import Period, check_periods, parse_periods
from hub.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Monday first, as ``date.weekday()`` counts.
Week = tuple[tuple[Period, ...], ...]


def office_week(*periods: str, days: str = "mon-fri") -> Week:
    """A week with the same periods on ``days`` and nothing on the others."""
    return parse_week([f"{days}={','.join(periods)}"])


def _day_range(text: str) -> list[int]:
    first, _, last = text.strip().lower().partition("-")
    try:
        start = WEEKDAYS.index(first)
        end = WEEKDAYS.index(last) if last else start
    except ValueError:
        raise InvalidInput(
            detail=f"{text.strip()!r} is not a weekday or range (use mon..sun, e.g. mon-fri)"
        ) from None
    if end < start:
        raise InvalidInput(detail=f"weekday range {text.strip()!r} runs backwards")
    return list(range(start, end + 1))


def parse_week(specs: Iterable[str]) -> Week:
    """``["mon-fri=09:00-12:00,13:00-18:00", "sat=09:00-12:00"]``; days not named are off."""
    days: list[tuple[Period, ...]] = [() for _ in WEEKDAYS]
    for spec in specs:
        names, sep, periods = spec.partition("=")
        if not sep:
            raise InvalidInput(detail=f"{spec!r} is not DAYS=PERIODS (e.g. mon-fri=09:00-12:00,13:00-18:00)")
        for index in _day_range(names):
            days[index] = parse_periods(periods)
    return tuple(days)


def week_to_json(week: Week) -> dict[str, list[str]]:
    return {name: [str(p) for p in periods] for name, periods in zip(WEEKDAYS, week, strict=True)}


def week_from_json(data: Mapping[str, list[str]]) -> Week:
    unknown = set(data) - set(WEEKDAYS)
    if unknown:
        raise InvalidInput(detail=f"unknown weekday keys {sorted(unknown)} in a weekly schedule")
    return tuple(check_periods(Period.parse(p) for p in data.get(name, [])) for name in WEEKDAYS)


def describe_week(week: Week) -> str:
    """``mon-fri 09:00-12:00 13:00-18:00`` — consecutive days with the same periods grouped."""
    parts: list[str] = []
    index = 0
    while index < len(WEEKDAYS):
        end = index
        while end + 1 < len(WEEKDAYS) and week[end + 1] == week[index]:
            end += 1
        if week[index]:
            days = WEEKDAYS[index] if end == index else f"{WEEKDAYS[index]}-{WEEKDAYS[end]}"
            parts.append(f"{days} {' '.join(str(p) for p in week[index])}")
        index = end + 1
    return "; ".join(parts) or "no working time"
