"""Shorthand for the calendar tests: parse ISO instants, add a spec, print the due instant."""

from __future__ import annotations

from datetime import datetime

from hub.calendars.arithmetic import add_business
from hub.calendars.builtin import builtin
from hub.calendars.durations import parse_duration
from hub.calendars.model import Calendar

CN = builtin("cn")
assert CN is not None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def due(start: str, spec: str, calendar: Calendar = CN) -> str:
    """The due instant of ``start`` + business ``spec``, as ISO 8601 in the calendar's zone."""
    length = parse_duration(spec).length(calendar.business_day)
    return add_business(calendar, at(start), length).astimezone(calendar.zone).isoformat()
