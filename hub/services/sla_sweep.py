"""The SLA sweep: record the warnings and breaches that fell due, tell the people concerned.

It reads only tickets whose ``next_due_at`` has passed, through a partial index, in batches it
locks with ``FOR UPDATE SKIP LOCKED``: several workers (or a manual ``hub sla sweep``) share the
work without waiting on each other. The batch's tickets are locked the same way (``FOR NO KEY
UPDATE SKIP LOCKED``), and a ticket a use-case is updating is simply left for the next run: the
sweep never waits on a row a use-case holds, so the two cannot deadlock (a use-case locks the
ticket, then its clocks; the sweep, clocks first, would otherwise wait on the ticket for the
foreign keys of the events and notifications it writes). Each alert is an event with a dedupe
key unique per ticket, so even two processes that somehow evaluated the same clock record it
once; only the process whose insert landed notifies.

The same pass climbs the complaint escalation ladder (:mod:`hub.services.escalation`): a
complaint's next level is part of ``next_due_at``, so escalations need no scan of their own.
Escalation follows the time a complaint stays unresolved, not SLA breaches, which only notify.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from hub.actors import SYSTEM
from hub.core import Hub
from hub.domain import TicketEventKind
from hub.events import TicketRef
from hub.events import tickets as events
from hub.models import Ticket, TicketEvent, TicketSla
from hub.services import escalation, notifications
from hub.services.escalation import Subject
from hub.services.sla import BATCH, Evaluation, SlaContext, evaluate_rows, write
from hub.sla.alerts import Alert
from hub.sla.escalation import Step
from hub.uow import UnitOfWork


@dataclass
class SweepResult:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    notified: int = 0
    escalations: int = 0


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _event_row(evaluation: Evaluation, alert: Alert, now: datetime) -> dict[str, object]:
    clock = alert.clock
    return {
        "ticket_id": evaluation.facts.ticket_id,
        "kind": alert.kind,
        "at": now,
        "dedupe_key": alert.key,
        "data": {
            "target": clock.target.value,
            "cycle": clock.cycle,
            "started_at": _iso(clock.started_at),
            "due_at": _iso(clock.due_at) if clock.due_at else None,
            "met_at": _iso(clock.met_at) if clock.met_at else None,
            "policy": evaluation.rule.name if evaluation.rule else None,
            "calendar": evaluation.calendar.name,
        },
    }


#: One statement for any number of alerts (executemany), so it is compiled once and cached.
_RECORD = (
    insert(TicketEvent).on_conflict_do_nothing().returning(TicketEvent.ticket_id, TicketEvent.dedupe_key)
)


async def _record(
    uow: UnitOfWork, fired: Sequence[tuple[Evaluation, Alert]], now: datetime
) -> set[tuple[uuid.UUID, str]]:
    """Insert the alert events; the ``(ticket, key)`` pairs this transaction really added."""
    if not fired:
        return set()
    added = await uow.session.execute(
        _RECORD, [_event_row(evaluation, alert, now) for evaluation, alert in fired]
    )
    return {(ticket_id, key) for ticket_id, key in added}


async def _lock_tickets(uow: UnitOfWork, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Subject]:
    """Lock the batch's tickets, skipping any a use-case holds; what the sweep needs of each."""
    rows = await uow.session.execute(
        sa.select(
            Ticket.id,
            Ticket.number,
            Ticket.subject,
            Ticket.team_id,
            Ticket.assignee_id,
            Ticket.escalation_level,
        )
        .where(Ticket.id.in_(ids))
        .order_by(Ticket.id)
        .with_for_update(skip_locked=True, key_share=True)
    )
    return {row.id: Subject(*row) for row in rows}


def _tell(
    hub: Hub,
    uow: UnitOfWork,
    ticket: Subject,
    alert: Alert,
    leads: list[uuid.UUID],
    now: datetime,
) -> list[dict[str, Any]]:
    """Publish live, and return the in-app notifications to add (e-mail jobs queued with them).

    A breach goes to the assignee and the team leads; a warning to the assignee, or to the leads
    while nobody is assigned. Breaches already answered (met late, or the cycle ended) are
    recorded but told to nobody: there is nothing left to act on.
    """
    clock = alert.clock
    breach = alert.kind is TicketEventKind.SLA_BREACHED
    uow.emit(
        events.SlaAlerted(
            at=now,
            ticket=TicketRef.of(ticket),
            target=clock.target.value,
            due_at=clock.due_at,
            breached=breach,
        )
    )
    if not alert.actionable:
        return []
    assignee = [ticket.assignee_id] if ticket.assignee_id else []
    people = [*assignee, *leads] if breach else (assignee or leads)
    rows = notifications.rows_for(
        people,
        kind=alert.kind.value,
        ticket_id=ticket.id,
        params={
            "number": ticket.number,
            "subject": ticket.subject,
            "target": clock.target.value,
            "due_at": _iso(clock.due_at) if clock.due_at else None,
        },
        now=now,
    )
    for function, notification_id in notifications.email_jobs(hub, rows):
        uow.enqueue(function, notification_id, job_id=f"notify:{notification_id}")
    return rows


async def _escalate(
    uow: UnitOfWork, ticket: Subject, evaluation: Evaluation, now: datetime
) -> tuple[int, list[Step]]:
    """Climb every level now due: how many this process climbed, and the levels still to come."""
    climbed, still_owed = 0, []
    for step in evaluation.escalations:
        if step.due_at is None or step.due_at >= now:
            still_owed.append(step)
        elif await escalation.climb(
            uow, ticket, step.level, cycle=step.cycle, actor=SYSTEM, now=now, after=str(step.after)
        ):
            ticket = dataclasses.replace(ticket, level=step.level)
            climbed += 1
    return climbed, still_owed


async def sweep_once(hub: Hub, *, batch_size: int = BATCH, now: datetime | None = None) -> SweepResult:
    """One batch: lock due rows, record and tell their alerts, store their next due instant."""
    now = now or hub.clock.now()
    result = SweepResult()
    async with hub.uow() as uow:
        rows = list(
            await uow.session.scalars(
                sa.select(TicketSla)
                .where(TicketSla.next_due_at < now)
                .order_by(TicketSla.next_due_at)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        )
        tickets = await _lock_tickets(uow, [row.ticket_id for row in rows])
        rows = [row for row in rows if row.ticket_id in tickets]
        if not rows:
            return result
        context = await SlaContext.load(uow.session, hub.settings)
        evaluated = await evaluate_rows(context, rows, now)
        fired = [(e, a) for _, e in evaluated for a in e.alerts if a.at < now]
        added = await _record(uow, fired, now)
        leads = await notifications.team_leads(uow.session, (t.team_id for t in tickets.values()))
        told: list[dict[str, Any]] = []
        for evaluation, alert in fired:
            ticket = tickets[evaluation.facts.ticket_id]
            if (ticket.id, alert.key) not in added:
                continue
            if alert.kind is TicketEventKind.SLA_BREACHED:
                result.breaches += 1
            else:
                result.warnings += 1
            told += _tell(
                hub, uow, ticket, alert, leads.get(ticket.team_id, []) if ticket.team_id else [], now
            )
        await notifications.add_rows(uow.session, told)
        result.notified = len(told)
        for row in rows:
            row.next_due_at = None  # a row whose ticket vanished must not stay due forever
        for row, evaluation in evaluated:
            ticket = tickets[row.ticket_id]
            climbed, later = await _escalate(uow, ticket, evaluation, now)
            result.escalations += climbed
            write(row, evaluation, now, owed=[a for a in evaluation.alerts if a.at >= now], escalations=later)
        result.tickets = len(rows)
        await uow.commit()
    return result


async def sweep(hub: Hub, *, batch_size: int = BATCH) -> SweepResult:
    """Sweep every ticket due now, batch after batch, until none is left for this process."""
    now = hub.clock.now()
    total = SweepResult()
    while True:
        batch = await sweep_once(hub, batch_size=batch_size, now=now)
        if batch.tickets == 0:
            return total
        total.tickets += batch.tickets
        total.warnings += batch.warnings
        total.breaches += batch.breaches
        total.notified += batch.notified
        total.escalations += batch.escalations
