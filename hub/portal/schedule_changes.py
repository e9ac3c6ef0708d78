"""A partner's changes to a delivery schedule line: another date or quantity, for the account
manager to agree.

The ERP owns a schedule's date and quantity (the sync registry's ``deliveries`` entity writes
them, :data:`hub.portal.sync.Deliveries.owned`), so a partner's change is never written over
them: it is a version of its own (``portal_schedule_changes``), the open one before it kept as
superseded, and the manager on duty is told. The manager accepts (the agreement the ERP is then
asked to push as its new schedule) or rejects with a comment the partner reads; either way the
ERP's fields stay as the ERP last sent them.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications, permissions, scope
from hub.actors import Actor
from hub.commands import Command, fits
from hub.core import Hub
from hub.domain import PortalPermission
from hub.errors import Conflict, InvalidInput, NotFound
from hub.models import DeliverySchedule, Organization, PortalOrder, PortalOrderLine, ScheduleChange
from hub.portal import permissions as portal_permissions
from hub.portal.common import partner_of
from hub.portal.duty import manager_on_duty
from hub.portal.events import PortalChanged
from hub.portal.states import SHIPPABLE, OrderStatus, ProposalStatus, ScheduleStatus

MAX_TEXT = 500


class NewChange(Command, frozen=True, forbid_unknown_fields=True):
    """The date and quantity the partner can deliver; an omitted one stays as the ERP planned it."""

    due_date: date | None = None
    #: A JSON number above 0, taken as the decimal it spells.
    quantity: Annotated[float, msgspec.Meta(gt=0, le=1e12)] | None = None
    reason: Annotated[str, fits(ScheduleChange.reason)] = ""


def _snapshot(change: ScheduleChange) -> dict[str, object]:
    return {
        "schedule_id": str(change.schedule_id),
        "version": change.version,
        "due_date": change.due_date.isoformat(),
        "quantity": str(change.quantity),
        "status": change.status.value,
    }


async def _schedule(
    session: AsyncSession, actor: Actor, schedule_id: uuid.UUID
) -> tuple[DeliverySchedule, PortalOrderLine, PortalOrder]:
    """The partner's own open schedule of an open line, locked; another partner's is not found."""
    schedule = await scope.one(session, actor, DeliverySchedule, schedule_id, lock=True)
    if schedule is None or schedule.organization_id != partner_of(actor):
        raise NotFound(what="delivery")
    line = await session.get(PortalOrderLine, schedule.line_id)
    order = await session.get(PortalOrder, line.order_id) if line is not None else None
    assert line is not None and order is not None
    if schedule.status is not ScheduleStatus.OPEN or order.status is not OrderStatus.OPEN:
        raise Conflict(detail=f"the delivery of order {order.number} line {line.line_no} is not open")
    if line.status not in SHIPPABLE:
        raise Conflict(detail=f"line {line.line_no} of order {order.number} is {line.status.value}")
    return schedule, line, order


async def propose(hub: Hub, actor: Actor, schedule_id: uuid.UUID, new: NewChange) -> ScheduleChange:
    """A new version of the partner's change to the schedule (needs the ``deliveries`` permission)."""
    portal_permissions.require(actor, PortalPermission.DELIVERIES)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        schedule, line, order = await _schedule(session, actor, schedule_id)
        due = new.due_date or schedule.due_date
        quantity = Decimal(str(new.quantity)) if new.quantity is not None else schedule.quantity
        if due == schedule.due_date and quantity == schedule.quantity:
            raise InvalidInput(detail="the change gives the date and quantity the delivery has already")
        previous = await session.scalar(
            sa.select(sa.func.max(ScheduleChange.version)).where(ScheduleChange.schedule_id == schedule.id)
        )
        superseded = await session.execute(
            sa.update(ScheduleChange)
            .where(
                ScheduleChange.schedule_id == schedule.id, ScheduleChange.status == ProposalStatus.PROPOSED
            )
            .values(status=ProposalStatus.SUPERSEDED)
        )
        change = ScheduleChange(
            id=uuid.uuid4(),
            organization_id=schedule.organization_id,
            schedule_id=schedule.id,
            version=(previous or 0) + 1,
            old_due_date=schedule.due_date,
            old_quantity=schedule.quantity,
            due_date=due,
            quantity=quantity,
            reason=new.reason.strip(),
            status=ProposalStatus.PROPOSED,
            proposed_by_id=actor.user_id,
            created_at=now,
        )
        session.add(change)
        await session.flush()
        partner = await session.scalar(
            sa.select(Organization.name).where(Organization.id == schedule.organization_id)
        )
        notifications.tell(
            uow,
            notifications.rows_for(
                await manager_on_duty(session, schedule.organization_id),
                kind="schedule_change",
                ticket_id=None,
                params={
                    "partner": partner or "",
                    "order": order.number,
                    "line": line.line_no,
                    "old_date": schedule.due_date.isoformat(),
                    "new_date": due.isoformat(),
                    "old_quantity": f"{schedule.quantity.normalize():f}",
                    "new_quantity": f"{quantity.normalize():f}",
                },
                now=now,
            ),
        )
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="delivery_schedule.change_proposed",
                subject_id=change.id,
                organization_id=schedule.organization_id,
                before={"superseded": superseded.rowcount or 0},  # type: ignore[attr-defined]
                after=_snapshot(change),
                reason=change.reason or None,
            )
        )
        await uow.commit()
        return change


async def decide(
    hub: Hub, actor: Actor, change_id: uuid.UUID, *, accept: bool, comment: str = ""
) -> ScheduleChange:
    """The account manager's answer; a rejection says why. The ERP's fields are not touched."""
    permissions.require_staff(actor)
    text = comment.strip()
    if not accept and not text:
        raise InvalidInput(detail="a reason is needed")
    if len(text) > MAX_TEXT:
        raise InvalidInput(detail=f"the comment has more than {MAX_TEXT} characters")
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        change = await session.get(ScheduleChange, change_id, with_for_update=True)
        if change is None:
            raise NotFound(what="delivery change")
        if change.status is not ProposalStatus.PROPOSED:
            raise Conflict(detail=f"the change is already {change.status.value}")
        change.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
        change.decided_by_id, change.decided_at, change.comment = actor.user_id, now, text or None
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="delivery_schedule.change_accepted" if accept else "delivery_schedule.change_rejected",
                subject_id=change.id,
                organization_id=change.organization_id,
                before={"status": ProposalStatus.PROPOSED.value},
                after=_snapshot(change),
                reason=text or None,
            )
        )
        await uow.commit()
        return change


async def versions(hub: Hub, actor: Actor, schedule_id: uuid.UUID) -> list[ScheduleChange]:
    """Every version of the changes to one schedule, newest first, through the scope."""
    async with hub.uow() as uow:
        if await scope.one(uow.session, actor, DeliverySchedule, schedule_id) is None:
            raise NotFound(what="delivery")
        return list(
            await uow.session.scalars(
                scope.select(actor, ScheduleChange)
                .where(ScheduleChange.schedule_id == schedule_id)
                .order_by(ScheduleChange.version.desc())
            )
        )


async def latest(
    session: AsyncSession, actor: Actor, schedule_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ScheduleChange]:
    """Each schedule's newest change, for the lists."""
    if not schedule_ids:
        return {}
    rows = await session.scalars(
        scope.select(actor, ScheduleChange)
        .where(ScheduleChange.schedule_id.in_(schedule_ids))
        .order_by(ScheduleChange.schedule_id, ScheduleChange.version.desc())
        .ext(distinct_on(ScheduleChange.schedule_id))
    )
    return {row.schedule_id: row for row in rows}


async def open_changes(
    hub: Hub, actor: Actor, organization_id: uuid.UUID
) -> list[tuple[ScheduleChange, DeliverySchedule, PortalOrderLine, PortalOrder]]:
    """The partner's changes waiting on the company, oldest first (the partner page lists them)."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        rows = await uow.session.execute(
            sa.select(ScheduleChange, DeliverySchedule, PortalOrderLine, PortalOrder)
            .join(DeliverySchedule, DeliverySchedule.id == ScheduleChange.schedule_id)
            .join(PortalOrderLine, PortalOrderLine.id == DeliverySchedule.line_id)
            .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
            .where(
                ScheduleChange.organization_id == organization_id,
                ScheduleChange.status == ProposalStatus.PROPOSED,
            )
            .order_by(ScheduleChange.created_at, ScheduleChange.id)
        )
        return [(c, s, line, o) for c, s, line, o in rows.all()]
