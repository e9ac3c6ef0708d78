"""Undecided date proposals as a kind of the deadline sweep (:mod:`hub.sla.deadline_sweep`).

The account manager owes a partner's date proposal an answer within ``2bh`` on the buyer's
calendar. Before it is due the manager on duty (the backup when the manager is away) is warned;
past it, the proposal is marked breached and the manager on duty told. A proposal has no ticket,
so each alert is recorded on the proposal's own row (``warned_at``, ``breached_at``): the sweep
holds the row locked, so an alert is recorded once whatever the number of workers. A proposal
decided late still gets its breach recorded (the scorecard counts it) but tells nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub import notifications
from hub.models import DateProposal, Organization, PortalOrder, PortalOrderLine
from hub.portal.duty import manager_on_duty
from hub.portal.states import ProposalStatus
from hub.sla.deadline import BREACHED, WARNING, Deadline
from hub.sla.deadline_sweep import Due, Owed, RescheduledByNextAlert
from hub.uow import UnitOfWork

#: Decided by the manager: a superseded or applied proposal owed the manager nothing.
DECIDED = (ProposalStatus.ACCEPTED, ProposalStatus.REJECTED)


class DateProposalAnswer(RescheduledByNextAlert):
    """The account manager's answer to a partner's date proposal (``2bh``)."""

    name = "date_proposal"
    model = DateProposal

    async def owed(
        self, uow: UnitOfWork, rows: Sequence[DateProposal], now: datetime
    ) -> list[Due[DateProposal]]:
        found = []
        for row in rows:
            if row.status is not ProposalStatus.PROPOSED and row.status not in DECIDED:
                found.append(Due(row, []))  # superseded or applied: nobody owes an answer
                continue
            recorded = {a for a, at in ((WARNING, row.warned_at), (BREACHED, row.breached_at)) if at}
            alerts = Deadline(row.due_at, row.warn_at).owed(met_at=row.decided_at, recorded=recorded)
            found.append(Due(row, [Owed(row, alert, at) for alert, at in alerts]))
        return found

    async def record(
        self, uow: UnitOfWork, fired: Sequence[Owed[DateProposal]], now: datetime
    ) -> list[Owed[DateProposal]]:
        added = []
        for owed in fired:
            row = owed.row
            if owed.alert == WARNING and row.warned_at is None:
                row.warned_at = now
            elif owed.alert == BREACHED and row.breached_at is None:
                row.breached_at = now
            else:
                continue
            added.append(owed)
        return added

    async def tell(
        self, uow: UnitOfWork, recorded: Sequence[Owed[DateProposal]], now: datetime
    ) -> list[dict[str, Any]]:
        live = [o for o in recorded if o.row.status is ProposalStatus.PROPOSED]
        if not live:
            return []
        facts = {
            proposal_id: (number, line_no, partner)
            for proposal_id, number, line_no, partner in await uow.session.execute(
                sa.select(DateProposal.id, PortalOrder.number, PortalOrderLine.line_no, Organization.name)
                .join(PortalOrderLine, PortalOrderLine.id == DateProposal.line_id)
                .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
                .join(Organization, Organization.id == DateProposal.organization_id)
                .where(DateProposal.id.in_([o.row.id for o in live]))
            )
        }
        told: list[dict[str, Any]] = []
        for owed in live:
            row = owed.row
            number, line_no, partner = facts[row.id]
            told += notifications.rows_for(
                await manager_on_duty(uow.session, row.organization_id),
                kind=f"date_proposal_{owed.alert}",
                ticket_id=None,
                params={
                    "order": number,
                    "line": line_no,
                    "partner": partner,
                    "new_date": row.proposed_date.isoformat(),
                    "due_at": row.due_at.isoformat(),
                },
                now=now,
            )
        return told
