"""A ticket's stored SLA clocks, for the people who may see the ticket's internals (staff)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.models import Ticket, TicketSla
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
