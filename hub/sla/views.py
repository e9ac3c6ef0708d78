"""A ticket's stored SLA clocks, for the people who may see the ticket's internals (staff)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.batch_read import Wanted
from hub.models import Ticket, TicketSla
from hub.sla.targets import ClockStatus
from hub.tickets.tickets import load_for


async def ticket_clocks(
    session: AsyncSession, actor: Actor, ticket_id: uuid.UUID
) -> tuple[Ticket, TicketSla | None]:
    """``None`` for a ticket whose clocks were never computed (created before migration 0003 and
    untouched since: ``hub sla recompute`` fills them in)."""
    permissions.require_staff(actor)
    ticket = await load_for(session, actor, ticket_id)
    return ticket, await scope.one(session, actor, TicketSla, ticket.id)


async def clocks_by_ticket(
    session: AsyncSession, actor: Actor, ticket_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, TicketSla]:
    """The stored clocks of a page of tickets the caller already holds, in one query."""
    permissions.require_staff(actor)
    if not ticket_ids:
        return {}
    rows = await session.scalars(
        scope.select(actor, TicketSla).where(TicketSla.ticket_id.in_(list(ticket_ids)))
    )
    return {row.ticket_id: row for row in rows}


class ClockRow(msgspec.Struct, frozen=True):
    """What a list shows of a ticket's stored clocks (:class:`TicketSla`'s columns of that name)."""

    ticket_id: uuid.UUID
    policy_name: str | None
    calendar: str
    paused_since: datetime | None
    waiting_since: datetime | None
    breached: bool
    first_response_state: ClockStatus | None
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    next_response_state: ClockStatus | None
    next_response_due_at: datetime | None
    next_response_at: datetime | None
    resolution_state: ClockStatus | None
    resolution_due_at: datetime | None
    resolution_at: datetime | None


def clock_rows(actor: Actor, ticket_ids: Collection[uuid.UUID]) -> Wanted[ClockRow]:
    """:func:`clocks_by_ticket`'s rows, to read with other lists."""
    permissions.require_staff(actor)
    columns = [getattr(TicketSla, field) for field in ClockRow.__struct_fields__]
    query = scope.select(actor, TicketSla).with_only_columns(*columns)
    return Wanted(query.where(TicketSla.ticket_id.in_(list(ticket_ids))), ClockRow)
