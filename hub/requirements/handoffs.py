"""Internal hand-offs (跨部门沟通对接人): a ticket put to another team's liaison, answered in ``2bh``.

An agent hands a ticket to another team with a note; the hand-off is addressed to that team's
liaison (a team without one cannot take hand-offs: 409) and due two business hours later on the
team's calendar (the company's ``cn`` when the team has none). The ticket keeps its assignee: a
hand-off asks another department for an answer, it does not move the work.

Answered: by the first note or reply on the ticket, after the hand-off, from the liaison or any
member of the target team (whoever of that department speaks up answers for it), other than the
person who asked. ``POST /api/v1/handoffs/{id}/answer`` is the same thing from the hand-off's side:
it writes the answer as an internal note. The sweep records the warning and the breach once each
in the ticket's event log and tells the liaison (and, on a breach, the requester and the team
lead).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from hub import notifications, permissions, scope
from hub.actors import Actor
from hub.calendars import names
from hub.calendars import service as calendars
from hub.core import Hub
from hub.db import ROW_LOCK
from hub.domain import HandoffStatus, TicketEventKind
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.events import TicketRef
from hub.models import Handoff, Team, Ticket, User
from hub.sla.deadline import Deadline
from hub.sla.defaults import INTERNAL_HANDOFF
from hub.sla.targets import ClockStatus
from hub.tickets import events, timeline
from hub.uow import UnitOfWork

MAX_NOTE = 10_000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _tell(
    uow: UnitOfWork,
    people: list[uuid.UUID | None],
    kind: str,
    ticket: Ticket,
    now: datetime,
    **params: object,
) -> None:
    rows = notifications.rows_for(
        [p for p in people if p is not None],
        kind=kind,
        ticket_id=ticket.id,
        params={"number": ticket.number, "subject": ticket.subject, **params},
        now=now,
    )
    notifications.tell(uow, rows)


async def request(hub: Hub, actor: Actor, ticket_id: uuid.UUID, *, team_id: uuid.UUID, note: str) -> Handoff:
    """Hand the ticket to ``team_id``'s liaison with a note; the answer is due in ``2bh``."""
    permissions.require_staff(actor)
    text = note.strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidInput(detail=f"the note must have 1 to {MAX_NOTE} characters")
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await session.get(Ticket, ticket_id, with_for_update=ROW_LOCK)
        if ticket is None:
            raise NotFound(what="ticket")
        team = await session.get(Team, team_id)
        if team is None:
            raise NotFound(what="team")
        own_team = await session.scalar(sa.select(User.team_id).where(User.id == actor.user_id))
        if own_team == team.id:
            raise InvalidInput(detail="a hand-off goes to another team than your own")
        liaison = await session.get(User, team.liaison_id) if team.liaison_id else None
        if liaison is None or not liaison.is_active:
            raise Conflict(detail=f"team {team.name!r} has no active liaison to hand tickets to")
        calendar = await calendars.calendar_in(session, team.calendar or names.DEFAULT)
        deadline = Deadline.plan(calendar, now, INTERNAL_HANDOFF, hub.settings.sla_warning_lead_percent / 100)
        handoff = Handoff(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            from_user_id=actor.user_id,
            from_team_id=own_team,
            to_team_id=team.id,
            liaison_id=liaison.id,
            note=text,
            status=HandoffStatus.OPEN,
            calendar=calendar.name,
            state=ClockStatus.ACTIVE,
            due_at=deadline.due_at,
            warn_at=deadline.warn_at,
            next_due_at=deadline.warn_at or deadline.due_at,
            created_at=now,
        )
        session.add(handoff)
        await session.flush()
        timeline.append(
            session,
            ticket.id,
            TicketEventKind.HANDOFF_REQUESTED,
            at=now,
            actor_user_id=actor.user_id,
            handoff_id=handoff.id,
            to_team_id=team.id,
            liaison_id=liaison.id,
            due_at=_iso(deadline.due_at),
            note=text,
        )
        await _tell(
            uow, [liaison.id], "handoff_requested", ticket, now, note=text, due_at=_iso(deadline.due_at)
        )
        uow.emit(
            events.HandoffRequested(
                at=now,
                ticket=TicketRef.of(ticket),
                actor=actor,
                handoff_id=handoff.id,
                to_team_id=team.id,
                liaison_id=liaison.id,
                note=text,
            )
        )
        await uow.commit()
        return handoff


def _answerable_by(user_id: uuid.UUID | None, user_team: uuid.UUID | None) -> sa.ColumnElement[bool]:
    """Hand-offs this person answers: addressed to them or to their team, not asked by them."""
    if user_id is None:
        return sa.false()
    to_them = Handoff.liaison_id == user_id
    if user_team is not None:
        to_them = sa.or_(to_them, Handoff.to_team_id == user_team)
    return sa.and_(to_them, Handoff.from_user_id.is_distinct_from(user_id))


async def on_response(
    uow: UnitOfWork, ticket: Ticket, *, actor: Actor, message_id: uuid.UUID, now: datetime
) -> None:
    """A note or reply on the ticket answers the open hand-offs its author is the addressee of.

    Called by the reply and note use-cases, which already hold the ticket.
    """
    if actor.user_id is None:
        return
    team = await uow.session.scalar(sa.select(User.team_id).where(User.id == actor.user_id))
    waiting = await uow.session.scalars(
        sa.select(Handoff)
        .where(
            Handoff.ticket_id == ticket.id,
            Handoff.status == HandoffStatus.OPEN,
            _answerable_by(actor.user_id, team),
        )
        .order_by(Handoff.id)
        .with_for_update()
    )
    for handoff in waiting:
        state = Deadline(handoff.due_at, handoff.warn_at).state(now, met_at=now)
        late = state is ClockStatus.BREACHED
        handoff.status = HandoffStatus.ANSWERED
        handoff.state = state
        handoff.answered_at = now
        handoff.answered_by_id = actor.user_id
        handoff.answer_message_id = message_id
        # A late answer keeps the breach due, so a sweep that has not recorded it yet still does.
        handoff.next_due_at = handoff.due_at if late else None
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.HANDOFF_ANSWERED,
            at=now,
            actor_user_id=actor.user_id,
            message_id=message_id,
            handoff_id=handoff.id,
            late=late,
        )
        await _tell(uow, [handoff.from_user_id], "handoff_answered", ticket, now)


async def answer(hub: Hub, actor: Actor, handoff_id: uuid.UUID, *, text: str) -> Handoff:
    """The liaison (or a member of the target team) answers: an internal note on the ticket."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        handoff = await scope.one(uow.session, actor, Handoff, handoff_id)
        if handoff is None:
            raise NotFound(what="handoff")
        if handoff.status is HandoffStatus.ANSWERED:
            raise Conflict(detail="the hand-off was already answered")
        team = await uow.session.scalar(sa.select(User.team_id).where(User.id == actor.user_id))
        allowed = await uow.session.scalar(
            sa.select(Handoff.id).where(Handoff.id == handoff.id, _answerable_by(actor.user_id, team))
        )
        if allowed is None:
            raise Forbidden()
    from hub.tickets import tickets

    await tickets.note(hub, actor, handoff.ticket_id, tickets.Draft(text=text))
    async with hub.uow() as uow:
        found = await uow.session.get(Handoff, handoff_id)
        assert found is not None
        return found


async def list_handoffs(
    hub: Hub,
    actor: Actor,
    *,
    ticket_id: uuid.UUID | None = None,
    to: str | None = None,
    team_id: uuid.UUID | None = None,
    status: HandoffStatus | None = None,
    limit: int = 50,
) -> list[Handoff]:
    """Newest first. ``to="me"``: the ones the actor answers (as liaison or member of the team)."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        query = scope.select(actor, Handoff)
        if ticket_id is not None:
            if await scope.one(uow.session, actor, Ticket, ticket_id) is None:
                raise NotFound(what="ticket")
            query = query.where(Handoff.ticket_id == ticket_id)
        if to == "me":
            team = await uow.session.scalar(sa.select(User.team_id).where(User.id == actor.user_id))
            query = query.where(_answerable_by(actor.user_id, team))
        elif to is not None:
            raise InvalidInput(detail="to must be 'me'")
        if team_id is not None:
            query = query.where(Handoff.to_team_id == team_id)
        if status is not None:
            query = query.where(Handoff.status == status)
        rows = await uow.session.scalars(
            query.order_by(Handoff.created_at.desc(), Handoff.id).limit(min(limit, 200))
        )
        return list(rows)
