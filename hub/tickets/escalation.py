"""Escalating tickets up the complaint ladder, by the sweep or by a supervisor, and back down.

Who each level is (kept small on purpose, all optional):

* level 1, team lead: the team's ``lead_id``, else its active supervisors;
* level 2, department head: the team's ``head_id``, else the team lead;
* level 3, management: every active user flagged ``is_management``, else the administrators.

Each climb is an ``escalated`` ticket event whose dedupe key names the cycle and level (see
:mod:`hub.sla.escalation`), written with ``ON CONFLICT DO NOTHING``: only the transaction whose
insert lands raises the level, audits it and notifies that level's people and the assignee, so
two sweeps, or a sweep and a supervisor, never escalate the same level twice. Resolving or
closing de-escalates (``deescalated``, level 0); the ladder starts again if the ticket reopens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from hub import notifications, permissions
from hub.actors import Actor
from hub.core import Hub
from hub.db import ROW_LOCK
from hub.domain import ACTIVE_STATUSES, MAX_ESCALATION_LEVEL, Role, TicketEventKind
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events import TicketRef
from hub.models import Team, Ticket, TicketEvent, User
from hub.sla import service as sla
from hub.sla.escalation import step_key
from hub.tickets import events, timeline
from hub.uow import UnitOfWork


@dataclass(frozen=True)
class Subject:
    """What climbing needs to know about a ticket (the sweep reads only these columns)."""

    id: uuid.UUID
    number: int
    subject: str
    team_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    level: int

    @classmethod
    def of(cls, ticket: Ticket) -> Subject:
        return cls(
            ticket.id,
            ticket.number,
            ticket.subject,
            ticket.team_id,
            ticket.assignee_id,
            ticket.escalation_level,
        )


#: Characters of an escalation's reason.
MAX_REASON = 10_000


async def people_for(session: AsyncSession, team_id: uuid.UUID | None, level: int) -> list[uuid.UUID]:
    """Who hears of a climb to ``level`` (see the module docstring for the fallbacks)."""
    if level >= MAX_ESCALATION_LEVEL:
        management = list(
            await session.scalars(
                sa.select(User.id).where(User.is_management, User.is_active).order_by(User.id)
            )
        )
        if management:
            return management
        return list(
            await session.scalars(
                sa.select(User.id).where(User.role == Role.ADMIN, User.is_active).order_by(User.id)
            )
        )
    if level == 2 and team_id is not None:
        head = await session.scalar(
            sa.select(User.id).join(Team, Team.head_id == User.id).where(Team.id == team_id, User.is_active)
        )
        if head is not None:
            return [head]
    return (await notifications.team_leads(session, [team_id])).get(team_id, []) if team_id else []


async def climb(
    uow: UnitOfWork,
    ticket: Subject,
    level: int,
    *,
    cycle: int,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    after: str | None = None,
) -> bool:
    """Raise the ticket to ``level`` unless that level of this cycle is already recorded.

    ``after`` (the ladder's ``1bd``) marks an automatic climb, ``reason`` a supervisor's.
    """
    added = await uow.session.scalar(
        insert(TicketEvent)
        .values(
            ticket_id=ticket.id,
            kind=TicketEventKind.ESCALATED,
            at=now,
            actor_user_id=actor.user_id,
            dedupe_key=step_key(cycle, level),
            data={
                "level": level,
                "previous": ticket.level,
                "cycle": cycle,
                "automatic": after is not None,
                "after": after,
                "reason": reason,
            },
        )
        .on_conflict_do_nothing()
        .returning(TicketEvent.id)
    )
    if added is None:
        return False
    await uow.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.escalation_level < level)
        .values(escalation_level=level)
        .execution_options(synchronize_session=False)
    )
    people = await people_for(uow.session, ticket.team_id, level)
    rows = notifications.rows_for(
        [*([ticket.assignee_id] if ticket.assignee_id else []), *people],
        kind="escalated",
        ticket_id=ticket.id,
        params={
            "number": ticket.number,
            "subject": ticket.subject,
            "level": level,
            "after": after,
            "reason": reason,
        },
        now=now,
    )
    notifications.tell(uow, rows)
    uow.emit(
        events.Escalated(
            at=now,
            ticket=TicketRef.of(ticket),
            actor=actor,
            previous_level=ticket.level,
            level=level,
            reason=reason,
            after=after,
        )
    )
    return True


def descend(uow: UnitOfWork, ticket: Ticket, *, actor: Actor, now: datetime, reason: str) -> None:
    """Take a resolved (or closed) ticket off the ladder: level 0, recorded and audited."""
    previous = ticket.escalation_level
    if previous == 0:
        return
    ticket.escalation_level = 0
    timeline.append(
        uow.session,
        ticket.id,
        TicketEventKind.DEESCALATED,
        at=now,
        actor_user_id=actor.user_id,
        level=0,
        previous=previous,
        reason=reason,
    )
    uow.emit(
        events.Deescalated(
            at=now, ticket=TicketRef.of(ticket), actor=actor, previous_level=previous, reason=reason
        )
    )


async def escalate(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, *, reason: str, level: int | None = None
) -> Ticket:
    """A supervisor's escalation: to ``level``, or one level up; always with a reason."""
    permissions.require_supervisor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(detail="an escalation needs a reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(detail=f"an escalation's reason has at most {MAX_REASON} characters")
    async with hub.uow() as uow:
        now = hub.clock.now()
        # Supervisors see every ticket: no partner scoping to apply.
        ticket = await uow.session.get(Ticket, ticket_id, with_for_update=ROW_LOCK)
        if ticket is None:
            raise NotFound(what="ticket")
        if ticket.status not in ACTIVE_STATUSES:
            raise Conflict(detail="only an open ticket can be escalated")
        if level is not None and not 1 <= level <= MAX_ESCALATION_LEVEL:
            raise InvalidInput(detail=f"level must be between 1 and {MAX_ESCALATION_LEVEL}")
        target = ticket.escalation_level + 1 if level is None else level
        if target > MAX_ESCALATION_LEVEL or target <= ticket.escalation_level:
            raise Conflict(detail=f"the ticket is already at escalation level {ticket.escalation_level}")
        state = await sla.refresh(uow, ticket)
        if not await climb(
            uow, Subject.of(ticket), target, cycle=state.cycle, actor=actor, now=now, reason=reason
        ):
            raise Conflict(detail=f"level {target} was reached meanwhile")
        set_committed_value(ticket, "escalation_level", target)
        ticket.updated_at = now
        await sla.refresh(uow, ticket)  # the next automatic level, if any, counts from here
        await uow.commit()
        return ticket
