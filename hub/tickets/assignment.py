"""Loading routing candidates and applying an assignment with its event, audit line and live update."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.calendars import working_hours
from hub.domain import ACTIVE_STATUSES, Role, TicketEventKind
from hub.events import TicketRef
from hub.intake.routing import Candidate, Choice, choose_assignee
from hub.models import Organization, Team, Ticket, User
from hub.tickets import events, timeline
from hub.uow import UnitOfWork

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


async def candidates(
    session: AsyncSession, user_filter: sa.ColumnElement[bool], now: datetime
) -> list[Candidate]:
    """Everyone matching ``user_filter`` as routing sees them: load, presence, working hours."""
    open_count = (
        sa.select(sa.func.count())
        .where(Ticket.assignee_id == User.id, Ticket.status.in_(_ACTIVE))
        .scalar_subquery()
    )
    rows = list(
        await session.execute(
            sa.select(
                User.id,
                User.presence,
                User.is_active,
                open_count,
                User.capacity,
                User.last_assigned_at,
                Team.calendar,
                User.time_zone,
            )
            .outerjoin(Team, Team.id == User.team_id)
            .where(user_filter)
        )
    )
    working = await working_hours.working_now(
        session, (working_hours.Schedule(row[0], row[6], row[7]) for row in rows), now
    )
    return [
        Candidate(
            user_id,
            presence,
            is_active,
            open_tickets,
            capacity,
            last_assigned_at,
            in_hours=user_id in working,
        )
        for user_id, presence, is_active, open_tickets, capacity, last_assigned_at, _, _ in rows
    ]


async def route(session: AsyncSession, ticket: Ticket, now: datetime) -> Choice:
    """Choose the new ticket's assignee from the client's managers and the channel's team.

    Everyone who could get the ticket is locked first (rows in id order, so concurrent routings
    queue instead of deadlocking) and their load is counted only afterwards, in a statement that
    sees every routing committed before ours: simultaneous tickets neither overfill a manager's
    capacity nor all land on the same idle agent.
    """
    manager_id = backup_id = None
    if ticket.organization_id is not None:
        org = await session.get(Organization, ticket.organization_id)
        if org is not None:
            manager_id, backup_id = org.account_manager_id, org.backup_manager_id
    managers = User.id.in_([i for i in (manager_id, backup_id) if i])
    team_members = (
        sa.and_(User.team_id == ticket.team_id, User.role.in_([Role.AGENT, Role.SUPERVISOR]))
        if ticket.team_id is not None
        else sa.false()
    )
    await session.execute(
        sa.select(User.id).where(sa.or_(managers, team_members)).order_by(User.id).with_for_update()
    )
    found = {c.user_id: c for c in await candidates(session, managers, now)}
    team = await candidates(session, team_members, now) if ticket.team_id is not None else []
    manager = found.get(manager_id) if manager_id else None
    backup = found.get(backup_id) if backup_id else None
    return choose_assignee(manager, backup, team)


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
    uow.emit(
        events.Assigned(
            at=now,
            ticket=TicketRef.of(ticket),
            actor=actor,
            previous_assignee_id=previous,
            assignee_id=assignee_id,
            reason=reason,
        )
    )
