"""The SLA sweep: record the warnings and breaches that fell due, tell the people concerned.

The ticket clocks are one kind of the deadline sweep (:mod:`hub.sla.deadline_sweep`), which
owns the batching and locking described here; this module says what the clocks owe and who hears.

It reads only tickets whose ``next_due_at`` has passed, through a partial index, in batches it
locks with ``FOR UPDATE SKIP LOCKED``: several workers (or a manual ``hub sla sweep``) share the
work without waiting on each other. The batch's tickets are locked the same way (``FOR NO KEY
UPDATE SKIP LOCKED``), and a ticket a use-case is updating is simply left for the next run: the
sweep never waits on a row a use-case holds, so the two cannot deadlock (a use-case locks the
ticket, then its clocks; the sweep, clocks first, would otherwise wait on the ticket for the
foreign keys of the events and notifications it writes). Each alert is an event with a dedupe
key unique per ticket, so even two processes that somehow evaluated the same clock record it
once; only the process whose insert landed notifies.

The same pass climbs the complaint escalation ladder (:mod:`hub.tickets.escalation`): a
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

from hub import notifications
from hub.actors import SYSTEM
from hub.core import Hub
from hub.domain import TicketEventKind
from hub.events import TicketRef
from hub.models import Ticket, TicketEvent, TicketSla
from hub.sla import deadline_sweep
from hub.sla.alerts import Alert
from hub.sla.deadline import BREACHED, WARNING
from hub.sla.deadline_sweep import Due, Owed, Tally
from hub.sla.escalation import Step
from hub.sla.service import BATCH, Evaluation, SlaContext, evaluate_rows, write
from hub.tickets import escalation, events
from hub.tickets.escalation import Subject
from hub.uow import UnitOfWork


@dataclass
class SweepResult:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    notified: int = 0
    escalations: int = 0


_ALERT_NAMES = {TicketEventKind.SLA_WARNING: WARNING, TicketEventKind.SLA_BREACHED: BREACHED}


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
    # Every row inserted carries its alert's key; the filter only narrows the nullable column's type.
    return {(ticket_id, key) for ticket_id, key in added if key is not None}


async def _subjects(uow: UnitOfWork, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Subject]:
    """What the sweep needs of each (already locked) ticket of the batch."""
    rows = await uow.session.execute(
        sa.select(
            Ticket.id,
            Ticket.number,
            Ticket.subject,
            Ticket.team_id,
            Ticket.assignee_id,
            Ticket.escalation_level,
        ).where(Ticket.id.in_(ids))
    )
    return {row.id: Subject(*row) for row in rows}


def _tell(
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


class TicketClocks:
    """The ticket's SLA targets (first response, next response, resolution) and the complaint
    escalation ladder that rides on the same clock rows."""

    name = "ticket_clocks"
    model = TicketSla

    async def owed(self, uow: UnitOfWork, rows: Sequence[TicketSla], now: datetime) -> list[Due[TicketSla]]:
        tickets = await _subjects(uow, [row.ticket_id for row in rows])
        context = await SlaContext.load(uow.session, uow.hub.settings)
        evaluated = await evaluate_rows(context, rows, now)
        found = {row.ticket_id for row, _ in evaluated}
        # A row whose ticket vanished owes nothing, and must not stay due forever (state None).
        due: list[Due[TicketSla]] = [Due(row, []) for row in rows if row.ticket_id not in found]
        for row, evaluation in evaluated:
            ticket = tickets[row.ticket_id]
            alerts = [
                Owed(row, _ALERT_NAMES[a.kind], a.at, (ticket, evaluation, a)) for a in evaluation.alerts
            ]
            due.append(Due(row, alerts, (ticket, evaluation)))
        return due

    async def record(
        self, uow: UnitOfWork, fired: Sequence[Owed[TicketSla]], now: datetime
    ) -> list[Owed[TicketSla]]:
        added = await _record(uow, [(o.detail[1], o.detail[2]) for o in fired], now)
        return [o for o in fired if (o.detail[0].id, o.detail[2].key) in added]

    async def tell(
        self, uow: UnitOfWork, recorded: Sequence[Owed[TicketSla]], now: datetime
    ) -> list[dict[str, Any]]:
        leads = await notifications.team_leads(uow.session, {o.detail[0].team_id for o in recorded})
        told: list[dict[str, Any]] = []
        for owed in recorded:
            ticket, _, alert = owed.detail
            told += _tell(uow, ticket, alert, leads.get(ticket.team_id, []) if ticket.team_id else [], now)
        return told

    async def reschedule(
        self, uow: UnitOfWork, due: Sequence[Due[TicketSla]], now: datetime, tally: Tally
    ) -> None:
        for item in due:
            if item.state is None:
                item.row.next_due_at = None
                continue
            ticket, evaluation = item.state
            climbed, later = await _escalate(uow, ticket, evaluation, now)
            tally.extra["escalations"] = tally.extra.get("escalations", 0) + climbed
            write(
                item.row,
                evaluation,
                now,
                owed=[a for a in evaluation.alerts if a.at >= now],
                escalations=later,
            )


TICKET_CLOCKS = TicketClocks()


async def sweep_once(hub: Hub, *, batch_size: int = BATCH, now: datetime | None = None) -> SweepResult:
    """One batch of due clock rows (:func:`.deadline_sweep.sweep_once`)."""
    return _result(
        await deadline_sweep.sweep_once(hub, TICKET_CLOCKS, now=now or hub.clock.now(), batch=batch_size)
    )


async def sweep(hub: Hub, *, batch_size: int = BATCH) -> SweepResult:
    """Sweep every ticket due now, batch after batch, until none is left for this process."""
    return _result(await deadline_sweep.sweep(hub, TICKET_CLOCKS, batch=batch_size))


def _result(tally: Tally) -> SweepResult:
    return SweepResult(
        tickets=tally.rows,
        warnings=tally.warnings,
        breaches=tally.breaches,
        notified=tally.notified,
        escalations=tally.extra.get("escalations", 0),
    )
