"""Action items: one list per partner of what each side promised, from meetings, quality cases,
tickets or by hand, each with an owner and a due date.

An owner is one of the company's staff (the buyer's side) or one of the partner's own users:
never a user of another partner, and a partner reading the list sees only its own people's
names (staff are "the company" to it, as on its tickets). A partner user marks its own side's
items done (or open again); the staff move any item, and only they cancel one. Items are never
deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.core import Hub
from hub.domain import STAFF_ROLES, OrganizationKind, Role
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.models import ActionItem, Organization, User
from hub.portal.record_events import PortalRecordChanged
from hub.portal.terms import ActionItemSource, ActionItemStatus, Side
from hub.uow import UnitOfWork

MAX_TITLE = 300
#: The home page's "waiting on you" shows items due within this, and every overdue one.
SOON = timedelta(days=7)


@dataclass(frozen=True)
class NewActionItem:
    title: str
    owner_user_id: uuid.UUID | None = None
    due_at: datetime | None = None
    source: ActionItemSource = ActionItemSource.MANUAL
    meeting_id: uuid.UUID | None = None
    quality_case_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None


def snapshot(item: ActionItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "owner_user_id": str(item.owner_user_id) if item.owner_user_id else None,
        "owner_side": item.owner_side.value,
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "status": item.status.value,
    }


async def owner_side(session: AsyncSession, organization_id: uuid.UUID, owner_id: uuid.UUID | None) -> Side:
    """The side of an item's owner: staff are the buyer's, the partner's own users the partner's;
    anyone else (another partner's user) is refused without saying who exists."""
    if owner_id is None:
        return Side.BUYER
    owner = await session.get(User, owner_id)
    if owner is None or not owner.is_active:
        raise InvalidInput(detail="the owner must be an active member of the staff or of this partner")
    if owner.role in STAFF_ROLES:
        return Side.BUYER
    if owner.role is Role.PARTNER and owner.organization_id == organization_id:
        return Side.PARTNER
    raise InvalidInput(detail="the owner must be an active member of the staff or of this partner")


async def add(uow: UnitOfWork, actor: Actor, organization_id: uuid.UUID, new: NewActionItem) -> ActionItem:
    """Inside the caller's transaction (a meeting's decisions become items with the minutes)."""
    title = new.title.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(detail=f"an action item's title has 1 to {MAX_TITLE} characters")
    side = await owner_side(uow.session, organization_id, new.owner_user_id)
    now = uow.hub.clock.now()
    item = ActionItem(
        id=uuid.uuid4(),
        organization_id=organization_id,
        title=title,
        owner_user_id=new.owner_user_id,
        owner_side=side,
        due_at=new.due_at,
        status=ActionItemStatus.OPEN,
        source=new.source,
        meeting_id=new.meeting_id,
        quality_case_id=new.quality_case_id,
        ticket_id=new.ticket_id,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(item)
    uow.emit(
        PortalRecordChanged(
            at=now,
            actor=actor,
            action="action_item.created",
            subject_type="action_item",
            subject_id=item.id,
            after={**snapshot(item), "source": new.source.value},
        )
    )
    return item


async def create(hub: Hub, actor: Actor, organization_id: uuid.UUID, new: NewActionItem) -> ActionItem:
    """The staff put an item on a partner's list."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        organization = await uow.session.get(Organization, organization_id)
        if organization is None or organization.kind is not OrganizationKind.PARTNER:
            raise NotFound(what="organization")
        item = await add(uow, actor, organization.id, new)
        await uow.commit()
        return item


async def list_items(
    session: AsyncSession,
    actor: Actor,
    *,
    organization_id: uuid.UUID | None = None,
    status: ActionItemStatus | None = None,
    limit: int = 200,
) -> list[ActionItem]:
    """Open first, then by due date (no date last)."""
    query = scope.select(actor, ActionItem)
    if organization_id is not None:
        query = query.where(ActionItem.organization_id == organization_id)
    if status is not None:
        query = query.where(ActionItem.status == status)
    rows = await session.scalars(
        query.order_by(
            (ActionItem.status != ActionItemStatus.OPEN),
            ActionItem.due_at.asc().nulls_last(),
            ActionItem.created_at,
            ActionItem.id,
        ).limit(limit)
    )
    return list(rows)


async def set_status(hub: Hub, actor: Actor, item_id: uuid.UUID, status: ActionItemStatus) -> ActionItem:
    async with hub.uow() as uow:
        item = await scope.one(uow.session, actor, ActionItem, item_id, lock=True)
        if item is None:
            raise NotFound(what="action item")
        if actor.is_partner and (item.owner_side is not Side.PARTNER or status is ActionItemStatus.CANCELLED):
            raise Forbidden()
        if not actor.is_partner:
            permissions.require_staff(actor)
        if item.status is status:
            return item
        now = hub.clock.now()
        before = snapshot(item)
        item.status = status
        item.done_at = now if status is ActionItemStatus.DONE else None
        item.updated_at = now
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="action_item.status_changed",
                subject_type="action_item",
                subject_id=item.id,
                before=before,
                after=snapshot(item),
            )
        )
        await uow.commit()
        return item


async def open_items(session: AsyncSession, organization_id: uuid.UUID) -> list[ActionItem]:
    rows = await session.scalars(
        sa.select(ActionItem)
        .where(ActionItem.organization_id == organization_id, ActionItem.status == ActionItemStatus.OPEN)
        .order_by(ActionItem.due_at.asc().nulls_last(), ActionItem.created_at, ActionItem.id)
    )
    return list(rows)


async def items_waiting(session: AsyncSession, actor: Actor, now: datetime) -> list[ActionItem]:
    """The partner's own open items due within :data:`SOON` or overdue, earliest first."""
    rows = await session.scalars(
        scope.select(actor, ActionItem)
        .where(
            ActionItem.status == ActionItemStatus.OPEN,
            ActionItem.owner_side == Side.PARTNER,
            ActionItem.due_at < now + SOON,
        )
        .order_by(ActionItem.due_at, ActionItem.id)
    )
    return list(rows)


async def owner_names(session: AsyncSession, actor: Actor, items: list[ActionItem]) -> dict[uuid.UUID, str]:
    """Names of the items' owners ``actor`` may read: for a partner, only its own people."""
    ids = {i.owner_user_id for i in items if i.owner_user_id}
    if not ids:
        return {}
    rows = await session.execute(
        scope.restrict(sa.select(User.id, User.name).where(User.id.in_(ids)), actor, User)
    )
    return {user_id: name for user_id, name in rows}
