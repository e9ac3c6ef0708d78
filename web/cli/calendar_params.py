"""Argument types and the unknown-year warning shared by ``hub calendar`` and ``hub sla due``.

Arguments are parsed before any server is touched, so a typo fails fast with exit code 2.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from hub.calendars.durations import DurationSpec, parse_duration
from hub.calendars.names import check_name
from hub.errors import HubError

if TYPE_CHECKING:
    from hub.calendars.model import Calendar


class _HubParam(click.ParamType):
    """A click type whose parsing is a hub function raising :class:`HubError` (exit code 2)."""

    def parse(self, value: str) -> Any:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except HubError as exc:
            self.fail(str(exc).removeprefix("Invalid input: "), param, ctx)


class CalendarName(_HubParam):
    name = "NAME"

    def parse(self, value: str) -> str:
        return check_name(value)


class Duration(_HubParam):
    name = "SPEC"

    def parse(self, value: str) -> DurationSpec:
        return parse_duration(value)


class Instant(click.ParamType):
    """An ISO 8601 instant with a UTC offset (``Z`` or ``+08:00``); without one it is refused."""

    name = "ISO8601"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            self.fail(f"{value!r} is not an ISO 8601 date and time ({exc})", param, ctx)
        if moment.tzinfo is None:
            self.fail(
                f"{value!r} has no UTC offset; add one, e.g. {moment.isoformat()}+08:00 "
                f"or {moment.isoformat()}Z for UTC",
                param,
                ctx,
            )
        return moment


class Day(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.fail(f"{value!r} is not a date (use YYYY-MM-DD, e.g. 2027-01-01)", param, ctx)


def unknown_year_warning(calendar: Calendar, year: int) -> str:
    source = f" ({calendar.source})" if calendar.source else ""
    return (
        f"warning: calendar {calendar.name} does not know the holidays of {year}{source}; "
        f"{year} is counted by the weekly schedule only. Enter that year's holidays and make-up "
        f"workdays with `hub calendar set-day {calendar.name} DATE holiday|workday`."
    )
