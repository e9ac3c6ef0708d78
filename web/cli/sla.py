"""``hub sla``: policies, the stored clocks and their sweep, and ``hub sla due`` on a business calendar."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from hub.calendars.durations import HELP as DURATION_HELP
from hub.calendars.durations import DurationSpec
from hub.calendars.names import DEFAULT
from web.cli import common
from web.cli.calendar_params import CalendarName, Duration, Instant, unknown_year_warning

if TYPE_CHECKING:
    from hub.calendars.model import Calendar


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
    from hub.calendars import service as calendars
    from hub.calendars.due import compute_due

    async def work(runtime: Any) -> Calendar:
        return await calendars.load_calendar(runtime.hub, calendar_name)

    calendar = common.run(work)
    try:
        due = compute_due(calendar, start, spec)
    except (ValueError, OverflowError) as exc:
        raise click.ClickException(f"cannot compute the due instant: {exc}") from None
    for year in due.unknown_years:
        click.echo(unknown_year_warning(calendar, year), err=True)
    click.echo(due.at.isoformat())


def _criteria(view: Any) -> str:
    parts = [
        f"{name}={getattr(view, name).value}"
        for name in ("channel_kind", "priority", "tier")
        if getattr(view, name) is not None
    ]
    return " ".join(parts) or "any ticket"


@sla_group.command("policies")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def sla_policies(as_json: bool) -> None:
    """List SLA policies in the order they are tried: for a ticket, the first active one that
    matches its channel, priority and client tier applies. Built-in defaults come last."""
    from hub.sla.policies import list_policies

    async def work(runtime: Any) -> list[Any]:
        async with runtime.hub.uow() as uow:
            return await list_policies(uow.session)

    views = common.run(work)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": str(v.id) if v.id else None,
                        "name": v.name,
                        **{
                            k: getattr(getattr(v, k), "value", None)
                            for k in ("channel_kind", "priority", "tier")
                        },
                        **{k: getattr(v, k) for k in ("first_response", "next_response", "resolution")},
                        "position": v.position,
                        "active": v.is_active,
                        "builtin": v.builtin,
                    }
                    for v in views
                ],
                ensure_ascii=False,
            )
        )
        return
    for v in views:
        targets = "  ".join(
            f"{label} {getattr(v, field) or '-'}"
            for label, field in (
                ("first", "first_response"),
                ("next", "next_response"),
                ("resolution", "resolution"),
            )
        )
        flags = " [built-in]" if v.builtin else "" if v.is_active else " [inactive]"
        click.echo(f"{v.name}{flags}: {_criteria(v)}; {targets}")


@sla_group.command("recompute")
@click.option("--ticket", "number", type=click.IntRange(min=1), default=None, help="Only this ticket number.")
def sla_recompute(number: int | None) -> None:
    """Rebuild the stored SLA clocks from the ticket event log (all tickets, or one).

    Run it after upgrading an existing install (tickets get their clocks at their next event
    otherwise) or after changing policies or calendars, to apply them to open tickets now.
    Warnings and breaches now owed are recorded by the next sweep.
    """
    from hub.sla.service import recompute

    async def work(runtime: Any) -> int:
        return await recompute(runtime.hub, ticket_number=number)

    count = common.run(work)
    click.echo(f"{count} ticket{'' if count == 1 else 's'} recomputed")


@sla_group.command("sweep")
def sla_sweep() -> None:
    """Record the SLA warnings, breaches and complaint escalations due now, and the requirement
    feedback and hand-off ones, and notify (what the worker does every 30 s)."""
    from hub.requirements import followup_sweep
    from hub.sla.sweep import sweep

    async def work(runtime: Any) -> Any:
        return await sweep(runtime.hub), await followup_sweep.sweep(runtime.hub)

    result, followups = common.run(work)
    click.echo(
        f"{result.tickets} ticket(s) swept: {result.warnings} warning(s), {result.breaches} breach(es), "
        f"{result.escalations} escalation(s), {result.notified} notification(s)"
    )
    click.echo(
        f"{followups.requirements} requirement(s) and {followups.handoffs} hand-off(s) swept: "
        f"{followups.warnings} warning(s), {followups.breaches} breach(es), {followups.notified} notification(s)"
    )
