"""The sweep of the promises that are not ticket clocks: requirement feedback and hand-off answers.

The same machinery as the SLA sweep (:mod:`hub.services.sla_sweep`): rows found by their indexed
``next_due_at``, locked with ``SKIP LOCKED`` together with their tickets, each warning and breach
recorded once under a unique dedupe key (a requirement's in its own event log, a hand-off's in
its ticket's), and only the transaction whose insert landed notifies. A promise already kept
(met late) gets its breach recorded but tells nobody.

Who hears: a requirement's warning goes to its owner, its breach to the owner and the client's
account manager; a hand-off's warning to the liaison, its breach to the liaison, the requester
and the target team's lead.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from hub.core import Hub
from hub.domain import RequirementEventKind, RequirementStatus, TicketEventKind
from hub.models import Handoff, Requirement, RequirementEvent, Ticket, TicketEvent
from hub.services import notifications
from hub.services.requirements import account_manager, excerpt
from hub.services.sweeping import due_rows, lock_tickets
from hub.sla.deadline import BREACHED, WARNING, Deadline, next_due
from hub.sla.targets import ClockStatus
from hub.uow import UnitOfWork

BATCH = 500
_REQUIREMENT_KINDS = {
    WARNING: RequirementEventKind.FEEDBACK_WARNING,
    BREACHED: RequirementEventKind.FEEDBACK_BREACHED,
}
_HANDOFF_KINDS = {WARNING: TicketEventKind.HANDOFF_WARNING, BREACHED: TicketEventKind.HANDOFF_BREACHED}


@dataclass
class FollowupResult:
    requirements: int = 0
    handoffs: int = 0
    warnings: int = 0
    breaches: int = 0
    notified: int = 0

    def add(self, other: FollowupResult) -> None:
        for name in ("requirements", "handoffs", "warnings", "breaches", "notified"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _count(result: FollowupResult, alert: str) -> None:
    if alert == BREACHED:
        result.breaches += 1
    else:
        result.warnings += 1


async def _tickets(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    """Number and subject of each ticket, for the notifications."""
    rows = await uow.session.execute(
        sa.select(Ticket.id, Ticket.number, Ticket.subject).where(Ticket.id.in_(ids))
    )
    return {row.id: (row.number, row.subject) for row in rows}


def _queue(hub: Hub, uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    for function, notification_id in notifications.email_jobs(hub, rows):
        uow.enqueue(function, notification_id, job_id=f"notify:{notification_id}")


async def _requirements_once(hub: Hub, now: datetime, batch: int) -> FollowupResult:
    result = FollowupResult()
    async with hub.uow() as uow:
        session = uow.session
        rows = await due_rows(session, Requirement, now, batch)
        locked = await lock_tickets(session, [r.ticket_id for r in rows])
        rows = [r for r in rows if r.ticket_id in locked]
        if not rows:
            return result
        recorded: dict[uuid.UUID, set[str]] = defaultdict(set)
        keys = await session.execute(
            sa.select(RequirementEvent.requirement_id, RequirementEvent.dedupe_key).where(
                RequirementEvent.requirement_id.in_([r.id for r in rows]),
                RequirementEvent.dedupe_key.is_not(None),
            )
        )
        for requirement_id, key in keys:
            recorded[requirement_id].add(key)
        tickets = await _tickets(uow, {r.ticket_id for r in rows})
        told: list[dict[str, Any]] = []
        for row in rows:
            owed = Deadline(row.feedback_due_at, row.feedback_warn_at).owed(
                met_at=row.feedback_at,
                recorded={a for a, k in _REQUIREMENT_KINDS.items() if k.value in recorded[row.id]},
            )
            if row.feedback_state is ClockStatus.VOID:
                owed = []
            fired = [(alert, at) for alert, at in owed if at < now]
            for alert, at in fired:
                added = await session.scalar(
                    insert(RequirementEvent)
                    .values(
                        requirement_id=row.id,
                        kind=_REQUIREMENT_KINDS[alert],
                        at=now,
                        dedupe_key=_REQUIREMENT_KINDS[alert].value,
                        data={"due_at": _iso(at), "feedback_due_at": _iso(row.feedback_due_at)},
                    )
                    .on_conflict_do_nothing()
                    .returning(RequirementEvent.id)
                )
                if added is None:
                    continue
                _count(result, alert)
                if alert == BREACHED and row.feedback_at is None:
                    row.feedback_state = ClockStatus.BREACHED
                if row.feedback_at is not None or row.status is RequirementStatus.CANCELLED:
                    continue  # kept late, or called off: recorded, nothing left to act on
                people = [row.owner_id]
                if alert == BREACHED:
                    people.append(await account_manager(session, row.organization_id))
                number, _ = tickets[row.ticket_id]
                told += notifications.rows_for(
                    [p for p in people if p is not None],
                    kind=f"requirement_feedback_{alert}",
                    ticket_id=row.ticket_id,
                    params={
                        "number": number,
                        "requirement_id": str(row.id),
                        "requirement": excerpt(row.content),
                        "due_at": _iso(row.feedback_due_at),
                    },
                    now=now,
                )
            row.next_due_at = next_due([o for o in owed if o not in fired], now)
        await notifications.add_rows(session, told)
        _queue(hub, uow, told)
        result.notified = len(told)
        result.requirements = len(rows)
        await uow.commit()
    return result


async def _handoffs_once(hub: Hub, now: datetime, batch: int) -> FollowupResult:
    result = FollowupResult()
    async with hub.uow() as uow:
        session = uow.session
        rows = await due_rows(session, Handoff, now, batch)
        locked = await lock_tickets(session, [h.ticket_id for h in rows])
        rows = [h for h in rows if h.ticket_id in locked]
        if not rows:
            return result
        wanted = [f"{kind.value}:{h.id}" for h in rows for kind in _HANDOFF_KINDS.values()]
        recorded = set(
            await session.scalars(
                sa.select(TicketEvent.dedupe_key).where(
                    TicketEvent.ticket_id.in_({h.ticket_id for h in rows}), TicketEvent.dedupe_key.in_(wanted)
                )
            )
        )
        tickets = await _tickets(uow, {h.ticket_id for h in rows})
        leads = await notifications.team_leads(session, {h.to_team_id for h in rows})
        told: list[dict[str, Any]] = []
        for row in rows:
            owed = Deadline(row.due_at, row.warn_at).owed(
                met_at=row.answered_at,
                recorded={a for a, k in _HANDOFF_KINDS.items() if f"{k.value}:{row.id}" in recorded},
            )
            fired = [(alert, at) for alert, at in owed if at < now]
            for alert, _ in fired:
                kind = _HANDOFF_KINDS[alert]
                added = await session.scalar(
                    insert(TicketEvent)
                    .values(
                        ticket_id=row.ticket_id,
                        kind=kind,
                        at=now,
                        dedupe_key=f"{kind.value}:{row.id}",
                        data={
                            "handoff_id": str(row.id),
                            "to_team_id": str(row.to_team_id) if row.to_team_id else None,
                            "liaison_id": str(row.liaison_id) if row.liaison_id else None,
                            "due_at": _iso(row.due_at),
                            "answered_at": _iso(row.answered_at) if row.answered_at else None,
                        },
                    )
                    .on_conflict_do_nothing()
                    .returning(TicketEvent.id)
                )
                if added is None:
                    continue
                _count(result, alert)
                if alert == BREACHED and row.answered_at is None:
                    row.state = ClockStatus.BREACHED
                if row.answered_at is not None:
                    continue
                people = [row.liaison_id]
                if alert == BREACHED:
                    people += (
                        [row.from_user_id, *leads.get(row.to_team_id, [])]
                        if row.to_team_id
                        else [row.from_user_id]
                    )
                number, subject = tickets[row.ticket_id]
                told += notifications.rows_for(
                    [p for p in people if p is not None],
                    kind=f"handoff_{alert}",
                    ticket_id=row.ticket_id,
                    params={
                        "number": number,
                        "subject": subject,
                        "handoff_id": str(row.id),
                        "due_at": _iso(row.due_at),
                    },
                    now=now,
                )
            row.next_due_at = next_due([o for o in owed if o not in fired], now)
        await notifications.add_rows(session, told)
        _queue(hub, uow, told)
        result.notified = len(told)
        result.handoffs = len(rows)
        await uow.commit()
    return result


async def sweep(hub: Hub, *, batch_size: int = BATCH) -> FollowupResult:
    """Sweep every requirement and hand-off due now, batch after batch."""
    now = hub.clock.now()
    total = FollowupResult()
    for once in (_requirements_once, _handoffs_once):
        while True:
            batch = await once(hub, now, batch_size)
            if batch.requirements == 0 and batch.handoffs == 0:
                break
            total.add(batch)
    return total
