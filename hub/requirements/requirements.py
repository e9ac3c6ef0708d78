"""The requirement loop (需求记录-传递-落地闭环): record from a ticket, transfer, move, give feedback.

Each requirement carries a feedback promise: the client hears back within ``3bd`` of recording, on
the business calendar of the ticket's organization. The feedback counts as given at the first
human reply on the ticket after recording (the client-visible answer, as for the ticket SLA), or
when someone records that it was given elsewhere (a call, a meeting): ``give_feedback``. The sweep
(:mod:`hub.requirements.followup_sweep`) records the warning and the breach once each.

Every change appends a ``requirement_events`` row (actor, reason, before and after) and an audit
line. Lock order is the ticket, then its requirements, as in the ticket use-cases: a reply (which
holds the ticket) and a transfer never wait on each other in opposite orders.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications, permissions
from hub.accounts.users import require_active_staff
from hub.actors import Actor
from hub.calendars import names
from hub.calendars import service as calendars
from hub.core import Hub
from hub.db import ROW_LOCK
from hub.domain import Priority, RequirementEventKind, RequirementStatus
from hub.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from hub.models import Organization, Requirement, RequirementEvent, Team, Ticket, User
from hub.requirements import status as requirement_status
from hub.requirements.events import (
    RequirementFeedbackGiven,
    RequirementRecorded,
    RequirementStatusChanged,
    RequirementTransferred,
)
from hub.sla.deadline import Deadline
from hub.sla.defaults import REQUIREMENT_FEEDBACK
from hub.sla.targets import ClockStatus
from hub.uow import UnitOfWork

E = RequirementEventKind
MAX_CONTENT = 10_000
EXCERPT = 60


@dataclass(frozen=True)
class NewRequirement:
    content: str
    priority: Priority = Priority.NORMAL
    #: Default: whoever records it.
    owner_id: uuid.UUID | None = None
    #: The department; default: the owner's team, else the ticket's.
    team_id: uuid.UUID | None = None
    #: When it is to be delivered, as agreed with the client.
    due_date: date | None = None


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def event(
    session: AsyncSession,
    requirement: Requirement,
    kind: RequirementEventKind,
    *,
    at: datetime,
    actor: Actor,
    reason: str | None = None,
    **data: Any,
) -> None:
    session.add(
        RequirementEvent(
            requirement_id=requirement.id,
            kind=kind,
            at=at,
            actor_user_id=actor.user_id,
            reason=reason,
            data=data,
        )
    )


async def account_manager(session: AsyncSession, organization_id: uuid.UUID | None) -> uuid.UUID | None:
    if organization_id is None:
        return None
    return await session.scalar(
        sa.select(Organization.account_manager_id).where(Organization.id == organization_id)
    )


async def _tell(
    uow: UnitOfWork,
    people: list[uuid.UUID | None],
    actor: Actor,
    kind: str,
    requirement: Requirement,
    **params: Any,
) -> None:
    """Notify ``people`` (never the actor themself) about ``requirement``."""
    number = await uow.session.scalar(sa.select(Ticket.number).where(Ticket.id == requirement.ticket_id))
    rows = notifications.rows_for(
        [p for p in people if p is not None and p != actor.user_id],
        kind=kind,
        ticket_id=requirement.ticket_id,
        params={
            "number": number,
            "requirement_id": str(requirement.id),
            "requirement": excerpt(requirement.content),
            **params,
        },
        now=uow.hub.clock.now(),
    )
    notifications.tell(uow, rows)


async def _team_of(session: AsyncSession, user_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(sa.select(User.team_id).where(User.id == user_id))


async def _require_team(session: AsyncSession, team_id: uuid.UUID) -> None:
    if await session.get(Team, team_id) is None:
        raise NotFound(what="team")


async def record(hub: Hub, actor: Actor, ticket_id: uuid.UUID, new: NewRequirement) -> Requirement:
    """Record a client requirement from a ticket; its feedback clock starts now."""
    permissions.require_staff(actor)
    content = new.content.strip()
    if not content or len(content) > MAX_CONTENT:
        raise InvalidInput(detail=f"content must have 1 to {MAX_CONTENT} characters")
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await session.get(Ticket, ticket_id, with_for_update=ROW_LOCK)
        if ticket is None:
            raise NotFound(what="ticket")
        owner_id = new.owner_id or actor.user_id
        if owner_id is None:
            raise InvalidInput(detail="owner_id is required")
        await require_active_staff(session, owner_id, field="owner_id")
        team_id = new.team_id or await _team_of(session, owner_id) or ticket.team_id
        if new.team_id is not None:
            await _require_team(session, new.team_id)
        calendar_name = names.DEFAULT
        if ticket.organization_id is not None:
            org = await session.get(Organization, ticket.organization_id)
            calendar_name = org.calendar if org is not None else names.DEFAULT
        calendar = await calendars.calendar_in(session, calendar_name)
        deadline = Deadline.plan(
            calendar, now, REQUIREMENT_FEEDBACK, hub.settings.sla_warning_lead_percent / 100
        )
        requirement = Requirement(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            organization_id=ticket.organization_id,
            content=content,
            priority=new.priority,
            owner_id=owner_id,
            team_id=team_id,
            due_date=new.due_date,
            status=RequirementStatus.RECORDED,
            calendar=calendar.name,
            feedback_state=ClockStatus.ACTIVE,
            feedback_due_at=deadline.due_at,
            feedback_warn_at=deadline.warn_at,
            next_due_at=deadline.warn_at or deadline.due_at,
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(requirement)
        await session.flush()
        snapshot = {
            "content": content,
            "priority": new.priority.value,
            "owner_id": _str(owner_id),
            "team_id": _str(team_id),
            "due_date": new.due_date.isoformat() if new.due_date else None,
            "feedback_due_at": _iso(deadline.due_at),
            "calendar": calendar.name,
        }
        event(session, requirement, E.RECORDED, at=now, actor=actor, ticket_id=str(ticket.id), **snapshot)
        uow.emit(
            RequirementRecorded(
                at=now, requirement_id=requirement.id, actor=actor, ticket_id=ticket.id, snapshot=snapshot
            )
        )
        manager = await account_manager(session, ticket.organization_id)
        await _tell(
            uow, [owner_id, manager], actor, "requirement_recorded", requirement, due_at=_iso(deadline.due_at)
        )
        await uow.commit()
        return requirement


async def _locked(session: AsyncSession, actor: Actor, requirement_id: uuid.UUID) -> Requirement:
    """The requirement, its ticket locked first (see the module docstring)."""
    permissions.require_staff(actor)
    ticket_id = await session.scalar(sa.select(Requirement.ticket_id).where(Requirement.id == requirement_id))
    if ticket_id is None:
        raise NotFound(what="requirement")
    await session.execute(sa.select(Ticket.id).where(Ticket.id == ticket_id).with_for_update(**ROW_LOCK))
    found = await session.get(Requirement, requirement_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise NotFound(what="requirement")
    return found


def _reason(text: str | None, *, required: bool, what: str) -> str | None:
    if required:
        return _required_reason(text, what=what)
    return (text or "").strip() or None


def _required_reason(text: str | None, *, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidInput(detail=f"{what} needs a reason")
    return cleaned


async def transfer(
    hub: Hub,
    actor: Actor,
    requirement_id: uuid.UUID,
    *,
    reason: str,
    owner_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
) -> Requirement:
    """Hand the requirement to another owner and/or department (team), with a reason."""
    why = _required_reason(reason, what="a transfer")
    if owner_id is None and team_id is None:
        raise InvalidInput(detail="a transfer names a new owner_id, a new team_id, or both")
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        requirement = await _locked(session, actor, requirement_id)
        if requirement.status in requirement_status.CLOSED:
            raise Conflict(detail=f"the requirement is {requirement.status.value}")
        if owner_id is not None:
            await require_active_staff(session, owner_id, field="owner_id")
        if team_id is not None:
            await _require_team(session, team_id)
        before = {"owner_id": _str(requirement.owner_id), "team_id": _str(requirement.team_id)}
        requirement.owner_id = owner_id or requirement.owner_id
        requirement.team_id = team_id or requirement.team_id
        after = {"owner_id": _str(requirement.owner_id), "team_id": _str(requirement.team_id)}
        if after == before:
            raise Conflict(detail="the requirement is already with that owner and team")
        requirement.updated_at = now
        event(
            session,
            requirement,
            E.TRANSFERRED,
            at=now,
            actor=actor,
            reason=why,
            from_owner_id=before["owner_id"],
            from_team_id=before["team_id"],
            **after,
        )
        uow.emit(
            RequirementTransferred(
                at=now, requirement_id=requirement.id, actor=actor, before=before, after=after, reason=why
            )
        )
        if after["owner_id"] != before["owner_id"]:
            await _tell(
                uow, [requirement.owner_id], actor, "requirement_transferred", requirement, reason=why
            )
        await uow.commit()
        return requirement


async def transition(
    hub: Hub, actor: Actor, requirement_id: uuid.UUID, target: RequirementStatus, *, reason: str | None = None
) -> Requirement:
    """Move the requirement along the loop (:mod:`hub.requirements.status`); 409 when not allowed."""
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        requirement = await _locked(session, actor, requirement_id)
        current = requirement.status
        if not requirement_status.can_move(current, target):
            raise InvalidTransition(
                "invalid_requirement_transition",
                current=f"requirement_{current.value}",
                target=f"requirement_{target.value}",
            )
        why = _reason(reason, required=requirement_status.needs_reason(current, target), what="this move")
        requirement.status = target
        requirement.updated_at = now
        if (
            target is RequirementStatus.CANCELLED
            and requirement.feedback_at is None
            and now <= requirement.feedback_due_at
        ):
            # Withdrawn before the client was owed an answer: the promise is void, nothing to sweep.
            requirement.feedback_state = ClockStatus.VOID
            requirement.next_due_at = None
        event(
            session,
            requirement,
            E.STATUS_CHANGED,
            at=now,
            actor=actor,
            reason=why,
            previous=current.value,
            status=target.value,
        )
        uow.emit(
            RequirementStatusChanged(
                at=now,
                requirement_id=requirement.id,
                actor=actor,
                previous=current.value,
                status=target.value,
                reason=why,
            )
        )
        await uow.commit()
        return requirement


def _mark_feedback(requirement: Requirement, now: datetime) -> bool:
    """Record the feedback instant; whether it came late (the breach then stays owed to the sweep)."""
    deadline = Deadline(requirement.feedback_due_at, requirement.feedback_warn_at)
    requirement.feedback_at = now
    requirement.feedback_state = deadline.state(now, met_at=now)
    late = requirement.feedback_state is ClockStatus.BREACHED
    # A late answer keeps the breach due, so a sweep that has not seen it yet still records it.
    requirement.next_due_at = requirement.feedback_due_at if late else None
    requirement.updated_at = now
    return late


async def on_delivery_failed(uow: UnitOfWork, message_id: uuid.UUID, *, now: datetime) -> None:
    """A reply whose delivery failed for good told the client nothing: the requirements it gave
    feedback on owe it again, their clock running from where it was (the sweep then warns or
    records the breach as if that reply had never been sent). The ticket's log keeps the failure."""
    answered = await uow.session.scalars(
        sa.select(Requirement)
        .where(
            Requirement.feedback_at.is_not(None),
            Requirement.id.in_(
                sa.select(RequirementEvent.requirement_id).where(
                    RequirementEvent.kind == E.FEEDBACK_GIVEN,
                    RequirementEvent.data["via"].astext == "reply",
                    RequirementEvent.data["message_id"].astext == str(message_id),
                )
            ),
        )
        .order_by(Requirement.id)
        .with_for_update()
    )
    for requirement in answered:
        deadline = Deadline(requirement.feedback_due_at, requirement.feedback_warn_at)
        requirement.feedback_at = None
        requirement.feedback_state = deadline.state(now, met_at=None)
        # As when it was recorded: the sweep finds what is owed from here (alerts are kept once).
        requirement.next_due_at = deadline.warn_at or deadline.due_at
        requirement.updated_at = now


async def give_feedback(hub: Hub, actor: Actor, requirement_id: uuid.UUID, *, note: str) -> Requirement:
    """Record feedback given outside the ticket's thread (a call, a visit), with what was said."""
    said = _required_reason(note, what="feedback")
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        requirement = await _locked(session, actor, requirement_id)
        if requirement.feedback_at is not None:
            raise Conflict(detail="feedback on this requirement was already given")
        if requirement.feedback_state is ClockStatus.VOID:
            raise Conflict(detail="the requirement was cancelled before feedback was due")
        late = _mark_feedback(requirement, now)
        event(
            session,
            requirement,
            E.FEEDBACK_GIVEN,
            at=now,
            actor=actor,
            reason=said,
            via="explicit",
            late=late,
        )
        uow.emit(
            RequirementFeedbackGiven(at=now, requirement_id=requirement.id, actor=actor, late=late, said=said)
        )
        await uow.commit()
        return requirement


async def on_reply(
    uow: UnitOfWork, ticket_id: uuid.UUID, *, actor: Actor, message_id: uuid.UUID, now: datetime
) -> None:
    """A reply to the client on the ticket is the feedback on every requirement still owed one.

    Called by :func:`hub.tickets.tickets.reply`, which already holds the ticket.
    """
    waiting = await uow.session.scalars(
        sa.select(Requirement)
        .where(
            Requirement.ticket_id == ticket_id,
            Requirement.feedback_at.is_(None),
            Requirement.feedback_state != ClockStatus.VOID,
        )
        .order_by(Requirement.id)
        .with_for_update()
    )
    for requirement in waiting:
        late = _mark_feedback(requirement, now)
        event(
            uow.session,
            requirement,
            E.FEEDBACK_GIVEN,
            at=now,
            actor=actor,
            via="reply",
            message_id=str(message_id),
            late=late,
        )
