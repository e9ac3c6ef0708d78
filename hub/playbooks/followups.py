"""A playbook's ``schedule_followup``: a reminder to the ticket's assignee at an offset in the SLA
engine's units (``2bh``, ``1bd``, ``3d``) on the default business calendar.

Scheduling records ``followup_scheduled`` on the ticket's log; the worker's follow-up sweep
(:data:`hub.requirements.followup_sweep.FOLLOW_UPS`) finds it due, records ``followup_due`` once
(under a dedupe key per follow-up) and reminds whoever has the ticket then (its team's lead when
nobody does). A ticket closed before the instant is reminded of nothing: the event is recorded,
nobody is told.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications
from hub.calendars import names
from hub.calendars.due import compute_due
from hub.calendars.durations import parse_duration
from hub.calendars.service import calendar_in
from hub.core import Hub
from hub.db import ROW_LOCK
from hub.domain import TicketEventKind, TicketStatus
from hub.events import TicketRef
from hub.models import PlaybookFollowup, Ticket, TicketEvent
from hub.sla.deadline import BREACHED
from hub.sla.deadline_sweep import Due, Owed, RescheduledByNextAlert
from hub.tickets import events, timeline
from hub.uow import UnitOfWork

MAX_NOTE = 500


def dedupe_key(followup_id: uuid.UUID) -> str:
    return f"{TicketEventKind.FOLLOWUP_DUE.value}:{followup_id}"


async def schedule(
    hub: Hub, ticket_id: uuid.UUID, *, playbook_id: str, after: str, note: str = ""
) -> PlaybookFollowup:
    """A follow-up due ``after`` from now, recorded on the ticket."""
    spec = parse_duration(after)
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await uow.session.get(Ticket, ticket_id, with_for_update=ROW_LOCK)
        assert ticket is not None  # the run's ticket
        calendar = await calendar_in(uow.session, names.DEFAULT)
        due = compute_due(calendar, now, spec).at
        row = PlaybookFollowup(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            playbook_id=playbook_id,
            after=after.strip(),
            due_at=due,
            note=note.strip()[:MAX_NOTE],
            next_due_at=due,
            created_at=now,
        )
        uow.session.add(row)
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.FOLLOWUP_SCHEDULED,
            at=now,
            followup_id=row.id,
            playbook=playbook_id,
            after=row.after,
            due_at=due,
            note=row.note,
        )
        uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(ticket), field="followup"))
        await uow.commit()
        return row


async def for_ticket(hub: Hub, ticket_id: uuid.UUID) -> list[PlaybookFollowup]:
    async with hub.session_factory() as session:
        return await of_ticket(session, ticket_id)


async def of_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> list[PlaybookFollowup]:
    """The ticket's, oldest first: the playbook panel lists them."""
    return list(
        await session.scalars(
            sa.select(PlaybookFollowup)
            .where(PlaybookFollowup.ticket_id == ticket_id)
            .order_by(PlaybookFollowup.due_at, PlaybookFollowup.id)
        )
    )


class FollowupDue(RescheduledByNextAlert):
    """A playbook's follow-up that fell due: one alert, at its instant."""

    name = "playbook_followup"
    model = PlaybookFollowup

    async def owed(
        self, uow: UnitOfWork, rows: Sequence[PlaybookFollowup], now: datetime
    ) -> list[Due[PlaybookFollowup]]:
        return [Due(row, [] if row.reminded_at else [Owed(row, BREACHED, row.due_at)]) for row in rows]

    async def record(
        self, uow: UnitOfWork, fired: Sequence[Owed[PlaybookFollowup]], now: datetime
    ) -> list[Owed[PlaybookFollowup]]:
        added = []
        for owed in fired:
            row = owed.row
            inserted = await uow.session.scalar(
                insert(TicketEvent)
                .values(
                    ticket_id=row.ticket_id,
                    kind=TicketEventKind.FOLLOWUP_DUE,
                    at=now,
                    dedupe_key=dedupe_key(row.id),
                    data={
                        "followup_id": str(row.id),
                        "playbook": row.playbook_id,
                        "due_at": row.due_at.isoformat(),
                        "note": row.note,
                    },
                )
                .on_conflict_do_nothing()
                .returning(TicketEvent.id)
            )
            row.reminded_at = row.reminded_at or now
            if inserted is not None:
                added.append(owed)
        return added

    async def tell(
        self, uow: UnitOfWork, recorded: Sequence[Owed[PlaybookFollowup]], now: datetime
    ) -> list[dict[str, Any]]:
        if not recorded:
            return []
        tickets = {
            t.id: t
            for t in await uow.session.scalars(
                sa.select(Ticket).where(Ticket.id.in_({o.row.ticket_id for o in recorded}))
            )
        }
        leads = await notifications.team_leads(
            uow.session, {t.team_id for t in tickets.values() if t.assignee_id is None}
        )
        told: list[dict[str, Any]] = []
        for owed in recorded:
            row, ticket = owed.row, tickets[owed.row.ticket_id]
            if ticket.status is TicketStatus.CLOSED:
                continue
            people = (
                [ticket.assignee_id]
                if ticket.assignee_id
                else leads.get(ticket.team_id, [])
                if ticket.team_id
                else []
            )
            told += notifications.rows_for(
                people,
                kind="playbook_followup",
                ticket_id=ticket.id,
                params={
                    "number": ticket.number,
                    "subject": ticket.subject,
                    "playbook": row.playbook_id,
                    "note": row.note,
                    "due_at": row.due_at.isoformat(),
                },
                now=now,
            )
        return told
