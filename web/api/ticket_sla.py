"""``GET /api/v1/tickets/{id}/sla``: where each SLA target of a ticket stands (staff only)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import TicketSla
from hub.sla import views
from hub.sla.targets import Target
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser


class TargetOut(msgspec.Struct):
    #: active, paused, met, breached or void
    state: str
    due_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None


class TicketSlaOut(msgspec.Struct):
    ticket_id: uuid.UUID
    #: False for a ticket whose clocks were never computed (see ``hub sla recompute``).
    computed: bool
    policy: str | None = None
    calendar: str | None = None
    cycle: int | None = None
    paused_since: datetime | None = None
    waiting_since: datetime | None = None
    breached: bool = False
    warning_at: datetime | None = None
    #: When a complaint climbs its next escalation level.
    escalation_due_at: datetime | None = None
    next_due_at: datetime | None = None
    #: Only the targets the applied policy sets; the latest instance of each.
    targets: dict[str, TargetOut] = msgspec.field(default_factory=dict)

    @classmethod
    def of(cls, ticket_id: uuid.UUID, row: TicketSla | None) -> TicketSlaOut:
        if row is None:
            return cls(ticket_id=ticket_id, computed=False)
        targets = {
            target.value: TargetOut(
                state=state.value,
                due_at=getattr(row, f"{target}_due_at"),
                met_at=getattr(row, f"{target}_at"),
                breached_at=getattr(row, f"{target}_breached_at"),
            )
            for target in Target
            if (state := getattr(row, f"{target}_state")) is not None
        }
        return cls(
            ticket_id=ticket_id,
            computed=True,
            policy=row.policy_name,
            calendar=row.calendar,
            cycle=row.cycle,
            paused_since=row.paused_since,
            waiting_since=row.waiting_since,
            breached=row.breached,
            warning_at=row.warning_at,
            escalation_due_at=row.escalation_due_at,
            next_due_at=row.next_due_at,
            targets=targets,
        )


@get("/api/v1/tickets/{ticket_id:uuid}/sla", guards=[staff], tags=["sla"], security=BEARER)
async def ticket_sla(
    request: Request, db: NamedDependency[AsyncSession], ticket_id: FromPath[uuid.UUID]
) -> TicketSlaOut:
    """The ticket's SLA clocks: policy, calendar, each target's state and instants, the next one due."""
    user: CurrentUser = request.user
    ticket, row = await views.ticket_clocks(db, user.actor, ticket_id)
    return TicketSlaOut.of(ticket.id, row)
