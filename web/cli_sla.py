"""``hub sla policies``, ``hub sla recompute`` and ``hub sla sweep`` (``hub sla due`` is in cli_calendar)."""

from __future__ import annotations

import json
from typing import Any

import click


def _run(work: Any) -> Any:
    from web.cli import _run as run

    return run(work)


def _criteria(view: Any) -> str:
    parts = [
        f"{name}={getattr(view, name).value}"
        for name in ("channel_kind", "priority", "tier")
        if getattr(view, name) is not None
    ]
    return " ".join(parts) or "any ticket"


@click.command("policies")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def sla_policies(as_json: bool) -> None:
    """List SLA policies in the order they are tried: for a ticket, the first active one that
    matches its channel, priority and client tier applies. Built-in defaults come last."""
    from hub.services.sla_policies import list_policies

    async def work(runtime: Any) -> list[Any]:
        async with runtime.hub.uow() as uow:
            return await list_policies(uow.session)

    views = _run(work)
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


@click.command("recompute")
@click.option("--ticket", "number", type=click.IntRange(min=1), default=None, help="Only this ticket number.")
def sla_recompute(number: int | None) -> None:
    """Rebuild the stored SLA clocks from the ticket event log (all tickets, or one).

    Run it after upgrading an existing install (tickets get their clocks at their next event
    otherwise) or after changing policies or calendars, to apply them to open tickets now.
    Warnings and breaches now owed are recorded by the next sweep.
    """
    from hub.services.sla import recompute

    async def work(runtime: Any) -> int:
        return await recompute(runtime.hub, ticket_number=number)

    count = _run(work)
    click.echo(f"{count} ticket{'' if count == 1 else 's'} recomputed")


@click.command("sweep")
def sla_sweep() -> None:
    """Record the SLA warnings, breaches and complaint escalations due now, and the requirement
    feedback and hand-off ones, and notify (what the worker does every 30 s)."""
    from hub.services import followup_sweep
    from hub.services.sla_sweep import sweep

    async def work(runtime: Any) -> Any:
        return await sweep(runtime.hub), await followup_sweep.sweep(runtime.hub)

    result, followups = _run(work)
    click.echo(
        f"{result.tickets} ticket(s) swept: {result.warnings} warning(s), {result.breaches} breach(es), "
        f"{result.escalations} escalation(s), {result.notified} notification(s)"
    )
    click.echo(
        f"{followups.requirements} requirement(s) and {followups.handoffs} hand-off(s) swept: "
        f"{followups.warnings} warning(s), {followups.breaches} breach(es), {followups.notified} notification(s)"
    )


#: Added to ``hub sla`` by web.cli.
COMMANDS = (sla_policies, sla_recompute, sla_sweep)
