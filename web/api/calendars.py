"""Business calendars: supervisors read them (a year's holidays and make-up days), administrators
create calendars and override days. The same use cases as ``hub calendar``, so the same checks and
the same audit lines.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from hub.calendars import service as calendars
from hub.calendars.model import Calendar, DayKind
from hub.calendars.names import NAME_REGEX
from hub.calendars.periods import parse_periods
from hub.calendars.weekly import describe_week, parse_week
from hub.commands import fits
from hub.core import Hub
from hub.errors import InvalidInput
from hub.models import BusinessCalendar
from web.auth.guards import BEARER, admins, supervisors
from web.auth.identity import CurrentUser

CalendarName = Annotated[str, PathParameter(pattern=NAME_REGEX)]
STANDARD_WEEK = "mon-fri=09:00-12:00,13:00-18:00"
_CLOCK = "[0-2]?[0-9]:[0-5][0-9]"
_PERIODS = f"{_CLOCK}-{_CLOCK}(?:[,\\s]+{_CLOCK}-{_CLOCK})*"
_DAY = "(?:mon|tue|wed|thu|fri|sat|sun)"
#: Working periods as ``hub calendar set-day --periods`` takes them (empty: a standard day).
PERIODS = f"^\\s*(?:{_PERIODS})?\\s*$"
#: One ``DAYS=PERIODS`` line of a week, as ``hub calendar create --week`` takes it.
WEEK_LINE = f"^\\s*{_DAY}(?:-{_DAY})?={_PERIODS}\\s*$"


class CalendarOut(msgspec.Struct):
    name: str
    time_zone: str
    #: The working week, e.g. ``mon-fri 09:00-12:00 13:00-18:00``.
    week: str
    #: ``cn``: China's statutory holidays and make-up workdays apply.
    base: str | None
    #: Where the statutory days come from (the package and the years it knows).
    source: str
    #: How many days an administrator has overridden.
    admin_days: int
    builtin: bool


class DayOut(msgspec.Struct):
    date: date
    kind: str
    #: A workday's working periods (``09:00-12:00``); empty on a holiday.
    periods: list[str]
    note: str
    #: ``admin`` for an override, else the statutory source.
    source: str


class YearOut(msgspec.Struct):
    name: str
    time_zone: str
    week: str
    source: str
    year: int
    #: False: the statutory source does not know this year; only the week applies.
    known: bool
    #: The year's holidays and make-up workdays, by date.
    days: list[DayOut]


class CalendarIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, fits(BusinessCalendar.name), msgspec.Meta(pattern=NAME_REGEX)]
    time_zone: Annotated[str, fits(BusinessCalendar.time_zone), msgspec.Meta(min_length=1)] = "Asia/Shanghai"
    #: ``DAYS=PERIODS`` lines, e.g. ``mon-fri=09:00-12:00,13:00-18:00``; days not named are off.
    week: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=200, pattern=WEEK_LINE)]],
        msgspec.Meta(min_length=1, max_length=7),
    ] = msgspec.field(default_factory=lambda: [STANDARD_WEEK])
    #: ``cn`` takes China's statutory holidays and make-up workdays.
    base: Literal["cn"] | None = None


class DayIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: DayKind
    #: A workday's own hours (``09:00-12:00,13:00-17:00``); empty: a standard day.
    periods: Annotated[str, msgspec.Meta(max_length=200, pattern=PERIODS)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=200)] | None = None


def year_of(calendar: Calendar, year: int) -> YearOut:
    return YearOut(
        name=calendar.name,
        time_zone=calendar.zone.key,
        week=describe_week(calendar.week),
        source=calendar.source,
        year=year,
        known=calendar.knows_year(year),
        days=[
            DayOut(
                date=d.day,
                kind=d.kind.value,
                periods=[str(p) for p in calendar.periods_on(d.day)],
                note=d.note,
                source=d.source,
            )
            for d in calendar.days_in_year(year)
        ],
    )


def _field(field: str, error: InvalidInput) -> InvalidInput:
    """The use case's words, prefixed with the field they are about (the form shows them beside it)."""
    return InvalidInput(detail=f"{field}: {error.params.get('detail', '')}")


class CalendarController(Controller):
    path = "/api/v1/calendars"
    security = BEARER
    tags = ["calendars"]

    @get("/", guards=[supervisors])
    async def list_calendars(self, hub: NamedDependency[Hub]) -> list[CalendarOut]:
        return [
            msgspec.convert(c, CalendarOut, from_attributes=True) for c in await calendars.list_calendars(hub)
        ]

    @get("/{name:str}", guards=[supervisors])
    async def read(
        self,
        hub: NamedDependency[Hub],
        name: CalendarName,
        year: Annotated[
            int | None, QueryParameter(ge=1900, le=2999, description="Default: this year")
        ] = None,
    ) -> YearOut:
        """The calendar's week and a year's holidays and make-up workdays (default: this year)."""
        calendar = await calendars.load_calendar(hub, name)
        return year_of(calendar, year or hub.clock.now().astimezone(calendar.zone).year)

    @post("/", guards=[admins])
    async def create(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[CalendarIn]
    ) -> CalendarOut:
        user: CurrentUser = request.user
        try:
            week = parse_week(data.week)
        except InvalidInput as exc:
            raise _field("week", exc) from None
        await calendars.create_calendar(
            hub, user.actor, name=data.name, time_zone=data.time_zone, week=week, base=data.base
        )
        found = {c.name: c for c in await calendars.list_calendars(hub)}
        return msgspec.convert(found[data.name], CalendarOut, from_attributes=True)

    @put("/{name:str}/days/{day:date}", guards=[admins])
    async def set_day(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        name: CalendarName,
        day: FromPath[date],
        data: JSONBody[DayIn],
    ) -> DayOut:
        """Make the day a holiday or a workday, overriding the statutory schedule and the week."""
        user: CurrentUser = request.user
        try:
            periods = parse_periods(data.periods) if data.periods else ()
        except InvalidInput as exc:
            raise _field("periods", exc) from None
        saved = await calendars.set_day(
            hub, user.actor, name, day, data.kind, periods=periods, note=data.note
        )
        calendar = await calendars.load_calendar(hub, name)
        return DayOut(
            date=saved.day,
            kind=saved.kind.value,
            periods=[str(p) for p in calendar.periods_on(saved.day)],
            note=saved.note,
            source=saved.source,
        )

    @delete("/{name:str}/days/{day:date}", guards=[admins])
    async def remove_day(
        self, request: Request, hub: NamedDependency[Hub], name: CalendarName, day: FromPath[date]
    ) -> None:
        """Drop the override: the day follows the statutory schedule and the week again."""
        user: CurrentUser = request.user
        await calendars.remove_day(hub, user.actor, name, day)
