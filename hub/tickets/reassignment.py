"""Handing over a person's open tickets when they leave (away for long, off sick, deactivated).

The rule: a ticket of a **core** client goes to that client's other dedicated manager (the
backup, or the account manager when the one leaving is the backup) if routing would give them a
new ticket right now (active, available, inside working hours, below capacity); every other
ticket goes back to its team's queue, unassigned, for whoever picks it up next. Each move is an
ordinary assignment, so it has its event and audit line with the reason.

When it happens: on deactivation, automatically (the person can no longer work); otherwise only
when a supervisor asks (``POST /api/v1/users/{id}/handover``). Presence changes never move tickets
on their own: ``away`` and ``offline`` are daily states (lunch, the night), and a client's
dedicated manager must not lose their conversations at every break; routing already stops giving
them new ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.db import ROW_LOCK
from hub.domain import ACTIVE_STATUSES, Role, Tier
from hub.errors import NotFound
from hub.events.admin import SettingsChanged
from hub.models import Organization, Ticket, User
from hub.tickets import assignment
from hub.uow import UnitOfWork


@dataclass(frozen=True)
class Moved:
    ticket_id: uuid.UUID
    number: int
    assignee_id: uuid.UUID | None
    reason: str


@dataclass
class Handover:
    user_id: uuid.UUID
    moved: list[Moved] = field(default_factory=list)


async def _other_manager(
    uow: UnitOfWork, leaving: uuid.UUID, organization_id: uuid.UUID | None, now: datetime
) -> uuid.UUID | None:
    """The core client's other dedicated manager, if routing would give them a ticket now."""
    if organization_id is None:
        return None
    org = await uow.session.get(Organization, organization_id)
    if org is None or org.tier is not Tier.CORE:
        return None
    others = [i for i in (org.backup_manager_id, org.account_manager_id) if i and i != leaving]
    if not others:
        return None
    # Lock them as routing does, so a handover and a new ticket cannot both fill the last slot.
    await uow.session.execute(
        sa.select(User.id).where(User.id.in_(others)).order_by(User.id).with_for_update()
    )
    found = {c.user_id: c for c in await assignment.candidates(uow.session, User.id.in_(others), now)}
    return next((i for i in others if i in found and found[i].can_take), None)


async def hand_over(
    uow: UnitOfWork, user_id: uuid.UUID, *, actor: Actor, why: str, now: datetime
) -> Handover:
    """Move the person's open tickets inside the caller's transaction (see the module's rule)."""
    result = Handover(user_id)
    tickets = await uow.session.scalars(
        sa.select(Ticket)
        .where(Ticket.assignee_id == user_id, Ticket.status.in_([s.value for s in ACTIVE_STATUSES]))
        .order_by(Ticket.id)
        .with_for_update(**ROW_LOCK)
    )
    for ticket in list(tickets):
        target = await _other_manager(uow, user_id, ticket.organization_id, now)
        base = "handover: core client's other manager" if target else "handover: back to the team queue"
        reason = f"{base} ({why})"
        await assignment.assign(uow, ticket, target, actor=actor, reason=reason, now=now)
        ticket.updated_at = now
        result.moved.append(Moved(ticket.id, ticket.number, target, reason))
    uow.emit(
        SettingsChanged.of(
            actor,
            "user.handed_over",
            user_id,
            at=now,
            after={
                "tickets": len(result.moved),
                "to_managers": sum(1 for m in result.moved if m.assignee_id),
            },
            reason=why,
        )
    )
    return result


async def handover(hub: Hub, actor: Actor, user_id: uuid.UUID, *, reason: str | None = None) -> Handover:
    """A supervisor's explicit handover of someone's open tickets."""
    permissions.require_supervisor(actor)
    async with hub.uow() as uow:
        user = await uow.session.get(User, user_id)
        if user is None or user.role is Role.PARTNER:  # partners have no tickets to hand over
            raise NotFound(what="user")
        result = await hand_over(
            uow,
            user.id,
            actor=actor,
            why=(reason or "").strip() or "asked by a supervisor",
            now=hub.clock.now(),
        )
        await uow.commit()
        return result
