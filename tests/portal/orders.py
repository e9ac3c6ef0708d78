"""A partner's portal work for tests: an order from the ERP with two lines, a delivery schedule,
a date proposal on line 2, a shipping notice for line 1 and the partner's change to the schedule,
made through the real use cases."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hub.actors import CLI
from hub.core import Hub
from hub.models import PortalOrderLine, User
from hub.portal import deliveries, orders, schedule_changes, sync
from tests import factories

_seq = itertools.count(1)


@dataclass(frozen=True)
class PortalWork:
    order_id: uuid.UUID
    number: str
    external_ref: str
    line_ids: list[uuid.UUID]
    schedule_id: uuid.UUID
    proposal_id: uuid.UUID
    notice_id: uuid.UUID
    #: The partner's change to the schedule (a later date for 40 of its 60).
    change_id: uuid.UUID


async def erp_order(
    hub: Hub, organization_id: uuid.UUID, *, number: str | None = None, source: str = "sap", days: int = 10
) -> tuple[uuid.UUID, str, str]:
    """An order pushed by the ERP: (id, number, external ref). Line 1 of 100 pcs, line 2 of 50 kg."""
    n = next(_seq)
    number = number or f"PO-{4_500_000 + n}"
    ref = f"ref-{number}"
    today = hub.clock.now().date()
    body = sync.OrderBody(
        partner=sync.PartnerRef(organization_id=organization_id),
        number=number,
        source_updated_at=hub.clock.now(),
        currency="CNY",
        lines=[
            sync.LineBody(
                line=1,
                item=f"BRK-{n}",
                description="支架 bracket",
                quantity=Decimal(100),
                unit="pcs",
                unit_price=Decimal("12.50"),
                requested_date=today + timedelta(days=days),
            ),
            sync.LineBody(
                line=2,
                item=f"RES-{n}",
                quantity=Decimal(50),
                unit="kg",
                requested_date=today + timedelta(days=days + 2),
            ),
        ],
    )
    async with hub.uow() as uow:
        outcome = await sync.upsert(uow, CLI, sync.ENTITIES["orders"], source, ref, body)
        await uow.commit()
    return outcome.id, number, ref


async def line_ids(hub: Hub, order_id: uuid.UUID | str) -> list[uuid.UUID]:
    order_id = uuid.UUID(str(order_id))
    async with hub.uow() as uow:
        return [line.id for line in (await orders.lines_of(uow.session, [order_id]))[order_id]]


async def delivery_schedule(hub: Hub, order_id: uuid.UUID, number: str, due: date) -> uuid.UUID:
    """The ERP's delivery schedule of 60 pcs of the order's line 1, due on ``due``: its id."""
    schedule = sync.DeliveryBody(
        order=sync.OrderRef(id=order_id),
        line=1,
        due_date=due,
        quantity=Decimal(60),
        source_updated_at=hub.clock.now(),
    )
    async with hub.uow() as uow:
        planned = await sync.upsert(uow, CLI, sync.ENTITIES["deliveries"], "sap", f"dl-{number}", schedule)
        await uow.commit()
    return planned.id


async def work(hub: Hub, partner: User) -> PortalWork:
    """Everything of one partner's that the portal shows, one row of each kind."""
    assert partner.organization_id is not None
    order_id, number, ref = await erp_order(hub, partner.organization_id)
    planned_id = await delivery_schedule(hub, order_id, number, hub.clock.now().date() + timedelta(days=7))
    actor = factories.actor(partner)
    proposal = await orders.propose_date(
        hub,
        actor,
        order_id,
        2,
        proposed_date=hub.clock.now().date() + timedelta(days=20),
        reason="raw material late",
    )
    lines = await line_ids(hub, order_id)
    notice = await deliveries.submit_notice(
        hub,
        actor,
        deliveries.NewNotice(
            number=f"ASN-{number}",
            ship_date=hub.clock.now().date() + timedelta(days=5),
            lines=[deliveries.NoticeLineIn(line_id=lines[0], quantity=60)],
            carrier="顺丰",
            tracking_no=f"SF{number}",
        ),
    )
    change = await schedule_changes.propose(
        hub,
        actor,
        planned_id,
        schedule_changes.NewChange(
            due_date=hub.clock.now().date() + timedelta(days=9), quantity=40, reason="模具维修 die repair"
        ),
    )
    return PortalWork(order_id, number, ref, lines, planned_id, proposal.id, notice.id, change.id)


async def line(hub: Hub, order_id: uuid.UUID | str, line_no: int) -> PortalOrderLine:
    order_id = uuid.UUID(str(order_id))
    async with hub.uow() as uow:
        return next(
            x for x in (await orders.lines_of(uow.session, [order_id]))[order_id] if x.line_no == line_no
        )
