"""``hub calendar``: business calendars and their day overrides."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from hub.actors import CLI
from hub.calendars.model import Calendar, DayKind, SpecialDay
from hub.calendars.periods import format_periods, parse_periods
from hub.calendars.weekly import describe_week, parse_week
from hub.errors import HubError
from web.cli import common
from web.cli.calendar_params import CalendarName, Day, unknown_year_warning

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
    from hub.calendars import service as calendars

    async def work(runtime: Any) -> list[Any]:
        return await calendars.list_calendars(runtime.hub)

    rows = common.run(work)
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
    from hub.calendars import service as calendars

    async def work(runtime: Any) -> tuple[Calendar, int]:
        found = await calendars.load_calendar(runtime.hub, name)
        return found, year or runtime.hub.clock.now().astimezone(found.zone).year

    calendar, shown = common.run(work)
    days = calendar.days_in_year(shown)
    if not calendar.knows_year(shown):
        click.echo(unknown_year_warning(calendar, shown), err=True)
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
    from hub.calendars import service as calendars

    try:
        week = parse_week(week_specs or ["mon-fri=09:00-12:00,13:00-18:00"])
    except HubError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None

    async def work(runtime: Any) -> Any:
        return await calendars.create_calendar(
            runtime.hub, CLI, name=name, time_zone=time_zone, week=week, base=None if base == "none" else base
        )

    common.run(work)
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
    from hub.calendars import service as calendars

    try:
        parsed = parse_periods(periods) if periods else ()
    except HubError as exc:
        raise click.BadParameter(str(exc), param_hint="--periods") from None

    async def work(runtime: Any) -> SpecialDay:
        return await calendars.set_day(runtime.hub, CLI, name, day, DayKind(kind), periods=parsed, note=note)

    saved = common.run(work)
    hours = f" ({format_periods(saved.periods)})" if saved.periods else ""
    click.echo(f"{name}: {day.isoformat()} is a {kind}{hours}")


@calendar_group.command("remove-day")
@click.argument("name", type=CalendarName())
@click.argument("day", metavar="DATE", type=Day())
def calendar_remove_day(name: str, day: date) -> None:
    """Remove an override: DATE follows the statutory schedule and the week again."""
    from hub.calendars import service as calendars

    async def work(runtime: Any) -> None:
        await calendars.remove_day(runtime.hub, CLI, name, day)

    common.run(work)
    click.echo(f"{name}: override on {day.isoformat()} removed")
