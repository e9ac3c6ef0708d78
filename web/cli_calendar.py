"""``hub calendar`` (business calendars and their day overrides) and ``hub sla due``.

Arguments are parsed before any server is touched, so a typo fails fast with exit code 2.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from hub.actors import CLI
from hub.calendars.durations import HELP as DURATION_HELP
from hub.calendars.durations import DurationSpec, parse_duration
from hub.calendars.model import Calendar, DayKind, SpecialDay
from hub.calendars.names import DEFAULT, check_name
from hub.calendars.periods import format_periods, parse_periods
from hub.calendars.weekly import describe_week, parse_week
from hub.errors import HubError

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _run(work: Any) -> Any:
    from web.cli import _run as run

    return run(work)


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


def _unknown_year_warning(calendar: Calendar, year: int) -> str:
    source = f" ({calendar.source})" if calendar.source else ""
    return (
        f"warning: calendar {calendar.name} does not know the holidays of {year}{source}; "
        f"{year} is counted by the weekly schedule only. Enter that year's holidays and make-up "
        f"workdays with `hub calendar set-day {calendar.name} DATE holiday|workday`."
    )


# -- hub calendar ----------------------------------------------------------------------------------


@click.group("calendar")
def calendar_group() -> None:
    """Business calendars: working hours, holidays and make-up workdays (调休).

    The built-in `cn` (Asia/Shanghai, mon-fri 09:00-12:00 13:00-18:00) takes China's statutory
    holidays from the chinese_calendar package; days set here override them.
    """


@calendar_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def calendar_list(as_json: bool) -> None:
    """List the calendars (the built-in `cn` is always there)."""
    from hub.services import calendars

    async def work(runtime: Any) -> list[Any]:
        return await calendars.list_calendars(runtime.hub)

    rows = _run(work)
    if as_json:
        click.echo(json.dumps([vars(r) for r in rows], ensure_ascii=False))
        return
    for r in rows:
        source = f"; holidays from {r.source}" if r.source else ""
        click.echo(f"{r.name}  {r.time_zone}  {r.week}{source}; {r.admin_days} day override(s)")


def _day_json(day: SpecialDay, calendar: Calendar) -> dict[str, Any]:
    return {
        "date": day.day.isoformat(),
        "weekday": WEEKDAY_NAMES[day.day.weekday()],
        "kind": day.kind.value,
        "periods": [str(p) for p in calendar.periods_on(day.day)],
        "note": day.note,
        "source": day.source,
    }


@calendar_group.command("show")
@click.argument("name", type=CalendarName())
@click.option("--year", type=click.IntRange(1900, 2999), default=None, help="Default: this year.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def calendar_show(name: str, year: int | None, as_json: bool) -> None:
    """Print a calendar's week and the year's holidays and make-up workdays."""
    from hub.services import calendars

    async def work(runtime: Any) -> tuple[Calendar, int]:
        found = await calendars.load_calendar(runtime.hub, name)
        return found, year or runtime.hub.clock.now().astimezone(found.zone).year

    calendar, shown = _run(work)
    days = calendar.days_in_year(shown)
    if not calendar.knows_year(shown):
        click.echo(_unknown_year_warning(calendar, shown), err=True)
    listed = {kind: [_day_json(d, calendar) for d in days if d.kind is kind] for kind in DayKind}
    if as_json:
        document = {
            "calendar": calendar.name,
            "time_zone": calendar.zone.key,
            "week": describe_week(calendar.week),
            "source": calendar.source,
            "year": shown,
            "known": calendar.knows_year(shown),
            "holidays": listed[DayKind.HOLIDAY],
            "workdays": listed[DayKind.WORKDAY],
        }
        click.echo(json.dumps(document, ensure_ascii=False))
        return
    source = f"; holidays from {calendar.source}" if calendar.source else ""
    click.echo(f"{calendar.name}  {calendar.zone.key}  {describe_week(calendar.week)}{source}")
    for kind, title in ((DayKind.HOLIDAY, "holidays"), (DayKind.WORKDAY, "make-up workdays")):
        click.echo(f"{shown} {title} ({len(listed[kind])}):")
        for d in listed[kind]:
            periods = f"  {' '.join(d['periods'])}" if kind is DayKind.WORKDAY else ""
            admin = "  [override]" if d["source"] == "admin" else ""
            click.echo(f"  {d['date']} {d['weekday']}{periods}  {d['note']}{admin}".rstrip())


@calendar_group.command("create")
@click.argument("name", type=CalendarName())
@click.option("--zone", "time_zone", default="Asia/Shanghai", show_default=True, help="IANA time zone.")
@click.option(
    "--week",
    "week_specs",
    multiple=True,
    help="DAYS=PERIODS, repeatable; default mon-fri=09:00-12:00,13:00-18:00.",
)
@click.option(
    "--base",
    type=click.Choice(["cn", "none"]),
    default="none",
    show_default=True,
    help="Take China's statutory holidays and make-up workdays (cn), or none.",
)
def calendar_create(name: str, time_zone: str, week_specs: tuple[str, ...], base: str) -> None:
    """Create a calendar (for an organization with its own hours or zone)."""
    from hub.services import calendars

    try:
        week = parse_week(week_specs or ["mon-fri=09:00-12:00,13:00-18:00"])
    except HubError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None

    async def work(runtime: Any) -> Any:
        return await calendars.create_calendar(
            runtime.hub, CLI, name=name, time_zone=time_zone, week=week, base=None if base == "none" else base
        )

    _run(work)
    click.echo(f"calendar {name} created: {time_zone}, {describe_week(week)}")


@calendar_group.command("set-day")
@click.argument("name", type=CalendarName())
@click.argument("day", metavar="DATE", type=Day())
@click.argument("kind", type=click.Choice([k.value for k in DayKind]))
@click.option("--note", default=None, help="Why, e.g. '2027 春节'.")
@click.option(
    "--periods", default=None, help="A workday's own hours, e.g. 09:00-12:00 (default: a standard day)."
)
def calendar_set_day(name: str, day: date, kind: str, note: str | None, periods: str | None) -> None:
    """Make DATE a holiday or a workday, overriding the statutory schedule and the week."""
    from hub.services import calendars

    try:
        parsed = parse_periods(periods) if periods else ()
    except HubError as exc:
        raise click.BadParameter(str(exc), param_hint="--periods") from None

    async def work(runtime: Any) -> SpecialDay:
        return await calendars.set_day(runtime.hub, CLI, name, day, DayKind(kind), periods=parsed, note=note)

    saved = _run(work)
    hours = f" ({format_periods(saved.periods)})" if saved.periods else ""
    click.echo(f"{name}: {day.isoformat()} is a {kind}{hours}")


@calendar_group.command("remove-day")
@click.argument("name", type=CalendarName())
@click.argument("day", metavar="DATE", type=Day())
def calendar_remove_day(name: str, day: date) -> None:
    """Remove an override: DATE follows the statutory schedule and the week again."""
    from hub.services import calendars

    async def work(runtime: Any) -> None:
        await calendars.remove_day(runtime.hub, CLI, name, day)

    _run(work)
    click.echo(f"{name}: override on {day.isoformat()} removed")


# -- hub sla ---------------------------------------------------------------------------------------


@click.group("sla")
def sla_group() -> None:
    """SLA policies, stored clocks and their sweep, and due-date arithmetic on business calendars."""


@sla_group.command("due")
@click.option(
    "--start",
    required=True,
    type=Instant(),
    help="ISO 8601 with a UTC offset, e.g. 2026-02-25T09:00:00+08:00 or 2026-02-25T01:00:00Z. "
    "A time without an offset is refused rather than guessed.",
)
@click.option("--duration", "spec", required=True, type=Duration(), help=DURATION_HELP + ".")
@click.option(
    "--calendar",
    "calendar_name",
    type=CalendarName(),
    default=DEFAULT,
    show_default=True,
    help="Calendar name (with its day overrides).",
)
def sla_due(start: datetime, spec: DurationSpec, calendar_name: str) -> None:
    """Print when a duration started at --start falls due, as ISO 8601 in the calendar's zone.

    Business time (bm, bh, bd) runs only in working time: a start outside it starts the clock at
    the next working moment, and the due instant is the earliest one at which the duration has
    elapsed (3bh from 09:00 is 12:00). One bd is one standard working day (8 h for cn). Calendar
    time (m, h, d) is elapsed time. A year whose holidays the calendar does not know is counted by
    the weekly schedule, with a warning on stderr.
    """
    from hub.calendars.due import compute_due
    from hub.services import calendars

    async def work(runtime: Any) -> Calendar:
        return await calendars.load_calendar(runtime.hub, calendar_name)

    calendar = _run(work)
    try:
        due = compute_due(calendar, start, spec)
    except (ValueError, OverflowError) as exc:
        raise click.ClickException(f"cannot compute the due instant: {exc}") from None
    for year in due.unknown_years:
        click.echo(_unknown_year_warning(calendar, year), err=True)
    click.echo(due.at.isoformat())
