"""Late quality steps as a kind of the deadline sweep (:mod:`hub.sla.deadline_sweep`).

A step the partner still owes at its due time is recorded once on the case's ticket
(``quality_step_overdue``, under a dedupe key per step, so two workers record it once), marked
``overdue_at`` (the partner's lateness counts it), and told to the account manager (the backup
when away). A step answered before its due time owes nothing; one answered late still gets its
overdue recorded if no sweep got there first, but tells nobody: there is nothing left to chase.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from hub import notifications
from hub.domain import TicketEventKind
from hub.models import QualityCase, QualityStep, Ticket, TicketEvent
from hub.portal.duty import manager_on_duty
from hub.portal.terms import PARTNER_OWES, QualityCaseStatus
from hub.sla.deadline import BREACHED
from hub.sla.deadline_sweep import Due, Owed, RescheduledByNextAlert
from hub.uow import UnitOfWork


def dedupe_key(step_id: uuid.UUID) -> str:
    return f"{TicketEventKind.QUALITY_STEP_OVERDUE.value}:{step_id}"


class QualityStepDue(RescheduledByNextAlert):
    """A partner's 8D step that passed its due time unanswered."""

    name = "quality_step"
    model = QualityStep

    async def owed(
        self, uow: UnitOfWork, rows: Sequence[QualityStep], now: datetime
    ) -> list[Due[QualityStep]]:
        cases = {
            case.id: case
            for case in await uow.session.scalars(
                sa.select(QualityCase).where(QualityCase.id.in_({r.case_id for r in rows}))
            )
        }
        found = []
        for row in rows:
            live = cases[row.case_id].status is QualityCaseStatus.OPEN
            answered_late = row.answered_at is not None and row.answered_at > row.due_at
            owes = row.overdue_at is None and live and (row.status in PARTNER_OWES or answered_late)
            found.append(Due(row, [Owed(row, BREACHED, row.due_at)] if owes else []))
        return found

    async def record(
        self, uow: UnitOfWork, fired: Sequence[Owed[QualityStep]], now: datetime
    ) -> list[Owed[QualityStep]]:
        added = []
        for owed in fired:
            row = owed.row
            inserted = await uow.session.scalar(
                insert(TicketEvent)
                .values(
                    ticket_id=row.ticket_id,
                    kind=TicketEventKind.QUALITY_STEP_OVERDUE,
                    at=now,
                    dedupe_key=dedupe_key(row.id),
                    data={
                        "case_id": str(row.case_id),
                        "step_id": str(row.id),
                        "discipline": row.discipline.value,
                        "due_at": row.due_at.isoformat(),
                    },
                )
                .on_conflict_do_nothing()
                .returning(TicketEvent.id)
            )
            if inserted is None:
                continue  # recorded already, by an earlier sweep or another worker
            row.overdue_at = now
            added.append(owed)
        return added

    async def tell(
        self, uow: UnitOfWork, recorded: Sequence[Owed[QualityStep]], now: datetime
    ) -> list[dict[str, Any]]:
        live = [o for o in recorded if o.row.status in PARTNER_OWES]
        if not live:
            return []
        cases = {
            case.id: case
            for case in await uow.session.scalars(
                sa.select(QualityCase).where(QualityCase.id.in_({o.row.case_id for o in live}))
            )
        }
        numbers = {
            ticket_id: number
            for ticket_id, number in await uow.session.execute(
                sa.select(Ticket.id, Ticket.number).where(Ticket.id.in_({o.row.ticket_id for o in live}))
            )
        }
        told: list[dict[str, Any]] = []
        for owed in live:
            row, case = owed.row, cases[owed.row.case_id]
            told += notifications.rows_for(
                await manager_on_duty(uow.session, case.organization_id),
                kind="quality_step_overdue",
                ticket_id=row.ticket_id,
                params={
                    "number": numbers[row.ticket_id],
                    "case": case.number,
                    "discipline": row.discipline.value,
                    "due_at": row.due_at.isoformat(),
                },
                now=now,
            )
        return told
