"""Loading routing candidates and applying an assignment with its event, audit line and live update."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import realtime
from hub.actors import Actor
from hub.domain import ACTIVE_STATUSES, Role, TicketEventKind
from hub.models import Organization, Ticket, User
from hub.routing import Candidate, Choice, choose_assignee
from hub.services import audit, timeline
from hub.uow import UnitOfWork

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


async def _candidates(session: AsyncSession, user_filter: sa.ColumnElement[bool]) -> list[Candidate]:
    open_count = (
        sa.select(sa.func.count())
        .where(Ticket.assignee_id == User.id, Ticket.status.in_(_ACTIVE))
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(
            User.id, User.presence, User.is_active, open_count, User.capacity, User.last_assigned_at
        ).where(user_filter)
    )
    return [Candidate(*row) for row in rows]


async def route(session: AsyncSession, ticket: Ticket) -> Choice:
    manager = backup = None
    if ticket.organization_id is not None:
        org = await session.get(Organization, ticket.organization_id)
        if org is not None:
            ids = [i for i in (org.account_manager_id, org.backup_manager_id) if i]
            found = {c.user_id: c for c in await _candidates(session, User.id.in_(ids))} if ids else {}
            manager = found.get(org.account_manager_id) if org.account_manager_id else None
            backup = found.get(org.backup_manager_id) if org.backup_manager_id else None
    team: list[Candidate] = []
    if ticket.team_id is not None:
        # Serialise routing per team so two simultaneous tickets see each other's load.
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(ticket.team_id))))
        team = await _candidates(
            session, sa.and_(User.team_id == ticket.team_id, User.role.in_([Role.AGENT, Role.SUPERVISOR]))
        )
    return choose_assignee(manager, backup, team)


def _lock_key(team_id: uuid.UUID) -> int:
    return int.from_bytes(team_id.bytes[:8], "big", signed=True)


async def assign(
    uow: UnitOfWork,
    ticket: Ticket,
    assignee_id: uuid.UUID | None,
    *,
    actor: Actor,
    reason: str,
    now: datetime,
) -> None:
    previous = ticket.assignee_id
    if previous == assignee_id:
        return
    ticket.assignee_id = assignee_id
    if assignee_id is not None:
        await uow.session.execute(sa.update(User).where(User.id == assignee_id).values(last_assigned_at=now))
    kind = TicketEventKind.ASSIGNED if assignee_id else TicketEventKind.UNASSIGNED
    timeline.append(
        uow.session,
        ticket.id,
        kind,
        at=now,
        actor_user_id=actor.user_id,
        assignee_id=assignee_id,
        previous_assignee_id=previous,
        team_id=ticket.team_id,
        reason=reason,
    )
    audit.record(
        uow.session,
        actor,
        "ticket.assigned" if assignee_id else "ticket.unassigned",
        "ticket",
        ticket.id,
        at=now,
        before={"assignee_id": str(previous) if previous else None},
        after={"assignee_id": str(assignee_id) if assignee_id else None},
        reason=reason,
    )
    channels = realtime.for_ticket(team_id=ticket.team_id, assignee_id=assignee_id, organization_id=None)
    if previous:
        channels.append(realtime.agent(previous))
    uow.publish(
        "ticket.assigned",
        channels,
        ticket_id=str(ticket.id),
        number=ticket.number,
        assignee_id=str(assignee_id) if assignee_id else None,
    )
