"""Deliveries: the ERP's delivery schedules for a line, and the partner's advance shipping notices.

A shipping notice ships quantities of open lines of open orders; what all submitted notices ship
of a line stays within its quantity plus the partner's over-delivery tolerance. A notice is never
edited in place: an edit after submission is a new version (the old one is kept, superseded), and
a cancellation is a status, so the buyer's receiving dock can always tell what was announced when.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.actors import Actor
from hub.commands import Command, fits
from hub.core import Hub
from hub.domain import PortalPermission
from hub.errors import Conflict, InvalidInput, NotFound
from hub.models import (
    DeliverySchedule,
    Organization,
    PortalOrder,
    PortalOrderLine,
    ShippingNotice,
    ShippingNoticeLine,
)
from hub.portal import permissions as portal_permissions
from hub.portal.common import partner_of
from hub.portal.events import PortalChanged
from hub.portal.states import SHIPPABLE, NoticeStatus, OrderStatus, ScheduleStatus
from hub.uow import UnitOfWork

MAX_NOTICE_LINES = 200


class NoticeLineIn(Command, frozen=True, forbid_unknown_fields=True):
    line_id: uuid.UUID
    #: A JSON number above 0, taken as the decimal it spells.
    quantity: Annotated[float, msgspec.Meta(gt=0, le=1e12)]

    @property
    def exact(self) -> Decimal:
        return Decimal(str(self.quantity))


class NewNotice(Command, frozen=True, forbid_unknown_fields=True):
    """What the partner announces: the notice's own number, when it ships, and what."""

    number: Annotated[str, fits(ShippingNotice.number, words=True)]
    ship_date: date
    lines: Annotated[list[NoticeLineIn], msgspec.Meta(min_length=1, max_length=MAX_NOTICE_LINES)]
    eta: date | None = None
    carrier: Annotated[str, fits(ShippingNotice.carrier)] = ""
    tracking_no: Annotated[str, fits(ShippingNotice.tracking_no)] = ""


@dataclass(frozen=True)
class NoticeView:
    """A notice's versions, newest first, each with its lines."""

    versions: list[tuple[ShippingNotice, list[ShippingNoticeLine]]]

    @property
    def current(self) -> ShippingNotice:
        return self.versions[0][0]


async def _check_lines(
    session: AsyncSession, actor: Actor, organization_id: uuid.UUID, new: NewNotice, root_id: uuid.UUID | None
) -> None:
    """Every line the partner's own, open, and within its quantity and the tolerance."""
    wanted: dict[uuid.UUID, Decimal] = {}
    for item in new.lines:
        wanted[item.line_id] = wanted.get(item.line_id, Decimal(0)) + item.exact
    rows = (
        await session.execute(
            scope.restrict(
                sa.select(PortalOrderLine, PortalOrder)
                .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
                .where(PortalOrderLine.id.in_(wanted), PortalOrder.organization_id == organization_id)
                .with_for_update(of=PortalOrderLine),
                actor,
                PortalOrderLine,
            )
        )
    ).all()
    if len(rows) != len(wanted):
        raise NotFound(what="order line")
    tolerance = await session.scalar(
        sa.select(Organization.over_delivery_tolerance_percent).where(Organization.id == organization_id)
    )
    shipped_query = (
        sa.select(ShippingNoticeLine.line_id, sa.func.sum(ShippingNoticeLine.quantity))
        .join(ShippingNotice, ShippingNotice.id == ShippingNoticeLine.notice_id)
        .where(ShippingNoticeLine.line_id.in_(wanted), ShippingNotice.status == NoticeStatus.SUBMITTED)
        .group_by(ShippingNoticeLine.line_id)
    )
    if root_id is not None:
        shipped_query = shipped_query.where(ShippingNotice.root_id != root_id)
    shipped = dict((await session.execute(shipped_query)).all())
    for line, order in rows:
        if order.status is not OrderStatus.OPEN or line.status not in SHIPPABLE:
            raise Conflict(detail=f"line {line.line_no} of order {order.number} is not open")
        limit = line.quantity * (1 + (tolerance or Decimal(0)) / 100)
        total = shipped.get(line.id, Decimal(0)) + wanted[line.id]
        if total > limit:
            raise InvalidInput(
                detail=f"line {line.line_no} of order {order.number}: {total} shipped is over {limit} "
                f"(quantity {line.quantity} and {tolerance}% tolerance)"
            )


def _add_version(
    uow: UnitOfWork,
    actor: Actor,
    organization_id: uuid.UUID,
    new: NewNotice,
    root_id: uuid.UUID,
    version: int,
) -> ShippingNotice:
    notice = ShippingNotice(
        id=uuid.uuid4() if version > 1 else root_id,
        root_id=root_id,
        version=version,
        organization_id=organization_id,
        number=new.number.strip(),
        status=NoticeStatus.SUBMITTED,
        ship_date=new.ship_date,
        eta=new.eta,
        carrier=new.carrier.strip(),
        tracking_no=new.tracking_no.strip(),
        created_by_id=actor.user_id,
        created_at=uow.hub.clock.now(),
    )
    uow.session.add(notice)
    uow.session.add_all(
        ShippingNoticeLine(id=uuid.uuid4(), notice_id=notice.id, line_id=item.line_id, quantity=item.exact)
        for item in new.lines
    )
    return notice


def _summary(new: NewNotice) -> dict[str, object]:
    return {
        "number": new.number,
        "ship_date": new.ship_date.isoformat(),
        "lines": [{"line_id": str(i.line_id), "quantity": str(i.quantity)} for i in new.lines],
    }


async def submit_notice(hub: Hub, actor: Actor, new: NewNotice) -> ShippingNotice:
    organization_id = partner_of(actor)
    portal_permissions.require(actor, PortalPermission.DELIVERIES)
    async with hub.uow() as uow:
        await _check_lines(uow.session, actor, organization_id, new, None)
        notice = _add_version(uow, actor, organization_id, new, uuid.uuid4(), 1)
        await uow.session.flush()
        uow.emit(
            PortalChanged(
                at=hub.clock.now(),
                actor=actor,
                action="shipping_notice.submitted",
                subject_id=notice.root_id,
                organization_id=organization_id,
                after=_summary(new),
            )
        )
        await uow.commit()
        return notice


async def _current(session: AsyncSession, actor: Actor, notice_id: uuid.UUID) -> ShippingNotice:
    """The newest version of the notice any of whose versions is ``notice_id``, locked."""
    named = await scope.one(session, actor, ShippingNotice, notice_id)
    if named is None:
        raise NotFound(what="shipping notice")
    current = await session.scalar(
        scope.select(actor, ShippingNotice)
        .where(ShippingNotice.root_id == named.root_id)
        .order_by(ShippingNotice.version.desc())
        .limit(1)
        .with_for_update()
    )
    assert current is not None
    return current


async def revise_notice(hub: Hub, actor: Actor, notice_id: uuid.UUID, new: NewNotice) -> ShippingNotice:
    """A new version; the one before is kept, superseded."""
    organization_id = partner_of(actor)
    portal_permissions.require(actor, PortalPermission.DELIVERIES)
    async with hub.uow() as uow:
        current = await _current(uow.session, actor, notice_id)
        if current.status is not NoticeStatus.SUBMITTED:
            raise Conflict(detail=f"shipping notice {current.number} is {current.status.value}")
        await _check_lines(uow.session, actor, organization_id, new, current.root_id)
        current.status = NoticeStatus.SUPERSEDED
        notice = _add_version(uow, actor, organization_id, new, current.root_id, current.version + 1)
        await uow.session.flush()
        uow.emit(
            PortalChanged(
                at=hub.clock.now(),
                actor=actor,
                action="shipping_notice.revised",
                subject_id=current.root_id,
                organization_id=organization_id,
                before={"version": current.version},
                after={"version": notice.version, **_summary(new)},
            )
        )
        await uow.commit()
        return notice


async def cancel_notice(hub: Hub, actor: Actor, notice_id: uuid.UUID, *, reason: str = "") -> ShippingNotice:
    organization_id = partner_of(actor)
    portal_permissions.require(actor, PortalPermission.DELIVERIES)
    async with hub.uow() as uow:
        current = await _current(uow.session, actor, notice_id)
        if current.status is not NoticeStatus.SUBMITTED:
            raise Conflict(detail=f"shipping notice {current.number} is {current.status.value}")
        current.status = NoticeStatus.CANCELLED
        uow.emit(
            PortalChanged(
                at=hub.clock.now(),
                actor=actor,
                action="shipping_notice.cancelled",
                subject_id=current.root_id,
                organization_id=organization_id,
                before={"status": NoticeStatus.SUBMITTED.value},
                after={"status": NoticeStatus.CANCELLED.value, "version": current.version},
                reason=reason.strip()[:500] or None,
            )
        )
        await uow.commit()
        return current


async def notice_detail(hub: Hub, actor: Actor, notice_id: uuid.UUID) -> NoticeView:
    async with hub.uow() as uow:
        named = await scope.one(uow.session, actor, ShippingNotice, notice_id)
        if named is None:
            raise NotFound(what="shipping notice")
        versions = list(
            await uow.session.scalars(
                scope.select(actor, ShippingNotice)
                .where(ShippingNotice.root_id == named.root_id)
                .order_by(ShippingNotice.version.desc())
            )
        )
        lines = await _notice_lines(uow.session, [v.id for v in versions])
        return NoticeView([(v, lines.get(v.id, [])) for v in versions])


async def _notice_lines(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ShippingNoticeLine]]:
    found: dict[uuid.UUID, list[ShippingNoticeLine]] = {}
    for row in await session.scalars(
        sa.select(ShippingNoticeLine)
        .where(ShippingNoticeLine.notice_id.in_(ids))
        .order_by(ShippingNoticeLine.id)
    ):
        found.setdefault(row.notice_id, []).append(row)
    return found


async def list_notices(
    hub: Hub, actor: Actor, *, organization_id: uuid.UUID | None = None, limit: int = 100
) -> list[tuple[ShippingNotice, list[ShippingNoticeLine]]]:
    """Each notice's newest version, newest first."""
    query = scope.select(actor, ShippingNotice).where(ShippingNotice.status != NoticeStatus.SUPERSEDED)
    if organization_id is not None:
        query = query.where(ShippingNotice.organization_id == organization_id)
    query = query.order_by(ShippingNotice.created_at.desc(), ShippingNotice.id).limit(max(1, min(limit, 200)))
    async with hub.uow() as uow:
        notices = list(await uow.session.scalars(query))
        lines = await _notice_lines(uow.session, [n.id for n in notices])
        return [(n, lines.get(n.id, [])) for n in notices]


async def list_schedules(
    hub: Hub,
    actor: Actor,
    *,
    organization_id: uuid.UUID | None = None,
    until: date | None = None,
    limit: int = 200,
) -> list[tuple[DeliverySchedule, PortalOrderLine, PortalOrder]]:
    """Open delivery schedules, soonest first (``until``: due by then)."""
    query = scope.restrict(
        sa.select(DeliverySchedule, PortalOrderLine, PortalOrder)
        .join(PortalOrderLine, PortalOrderLine.id == DeliverySchedule.line_id)
        .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
        .where(DeliverySchedule.status == ScheduleStatus.OPEN),
        actor,
        DeliverySchedule,
    )
    if organization_id is not None:
        query = query.where(DeliverySchedule.organization_id == organization_id)
    if until is not None:
        query = query.where(DeliverySchedule.due_date <= until)
    query = query.order_by(DeliverySchedule.due_date, DeliverySchedule.id).limit(max(1, min(limit, 500)))
    async with hub.uow() as uow:
        return [(s, line, order) for s, line, order in (await uow.session.execute(query)).all()]
