"""The portal's part of the demo: a second partner, orders from the ERP for both, delivery
schedules with what was received (one late), lines confirmed, a date proposal waiting for the
account manager and a shipping notice, all made through the real use cases."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from hub.accounts import accounts
from hub.actors import CLI, Actor
from hub.core import Hub
from hub.demo_quality import SUPPLIER_DOMAIN, SUPPLIER_NAME
from hub.domain import ALL_PORTAL_PERMISSIONS, OrganizationKind, Role, Tier
from hub.models import Organization, User
from hub.portal import deliveries, orders, sync

SOURCE = "demo-erp"


def _actor(user: User) -> Actor:
    return Actor(
        kind="user",
        user_id=user.id,
        role=user.role,
        organization_id=user.organization_id,
        name=user.name,
        portal_permissions=ALL_PORTAL_PERMISSIONS,
    )


async def _push(hub: Hub, entity: str, ref: str, body: object) -> uuid.UUID:
    async with hub.uow() as uow:
        outcome = await sync.upsert(uow, CLI, sync.ENTITIES[entity], SOURCE, ref, body)
        await uow.commit()
        return outcome.id


async def _order(
    hub: Hub, partner: uuid.UUID, number: str, lines: list[tuple[str, str, int, str, str, int]]
) -> uuid.UUID:
    today = hub.clock.now().date()
    body = sync.OrderBody(
        partner=sync.PartnerRef(organization_id=partner),
        number=number,
        source_updated_at=hub.clock.now(),
        currency="CNY",
        lines=[
            sync.LineBody(
                line=n,
                item=item,
                description=text,
                quantity=Decimal(quantity),
                unit=unit,
                unit_price=Decimal(price),
                requested_date=today + timedelta(days=days),
            )
            for n, (item, text, quantity, unit, price, days) in enumerate(lines, start=1)
        ],
    )
    return await _push(hub, "orders", number, body)


async def _schedule(
    hub: Hub, order_id: uuid.UUID, line: int, days: int, quantity: int, received: int
) -> None:
    body = sync.DeliveryBody(
        order=sync.OrderRef(id=order_id),
        line=line,
        due_date=hub.clock.now().date() + timedelta(days=days),
        quantity=Decimal(quantity),
        received_quantity=Decimal(received),
        received_at=hub.clock.now() if received else None,
        source_updated_at=hub.clock.now(),
    )
    await _push(hub, "deliveries", f"{order_id}-{line}-{days}", body)


async def seed(
    hub: Hub, hengda: Organization, *, manager: User, backup: User, password: str, domain: str
) -> str:
    """Hengda (the demo's partner) and a second partner, Ningbo, each with orders and deliveries."""
    async with hub.uow() as uow:
        # The quality half of the demo may have made this partner already (its quality case and
        # meetings); the orders go to the same company.
        ningbo = await uow.session.scalar(sa.select(Organization).where(Organization.name == SUPPLIER_NAME))
        if ningbo is None:
            ningbo = Organization(
                id=uuid.uuid4(),
                name=SUPPLIER_NAME,
                kind=OrganizationKind.PARTNER,
                tier=Tier.STANDARD,
                domains=[SUPPLIER_DOMAIN],
                account_manager_id=manager.id,
                backup_manager_id=backup.id,
            )
            uow.session.add(ningbo)
        ningbo.over_delivery_tolerance_percent = Decimal(5)
        await uow.commit()
    ningbo_user = await accounts.create_user(
        hub,
        CLI,
        accounts.NewUser(
            email=f"partner2@{domain}",
            name="王磊 Wang Lei (宁波精工 销售)",
            role=Role.PARTNER,
            password=password,
            organization_id=ningbo.id,
        ),
    )
    async with hub.uow() as uow:
        hengda_user = await uow.session.scalar(sa.select(User).where(User.email == f"partner@{domain}"))
    assert hengda_user is not None

    # Hengda: a transport order, confirmed, partly delivered, one delivery late.
    transport = await _order(
        hub,
        hengda.id,
        "PO-2026-0412",
        [
            ("TRK-SH-SZ", "上海—苏州整车运输 Shanghai–Suzhou truckload", 12, "trip", "1850.00", -3),
            ("TRK-SZ-NB", "苏州—宁波零担 Suzhou–Ningbo LTL", 30, "pallet", "260.00", 5),
        ],
    )
    await _schedule(hub, transport, 1, -3, 12, 8)
    await _schedule(hub, transport, 2, 5, 30, 0)
    hengda_actor = _actor(hengda_user)
    for line in (1, 2):
        view = await orders.order_detail(hub, hengda_actor, transport)
        wanted = next(x for x in view.lines if x.line_no == line)
        await orders.confirm_line(hub, hengda_actor, transport, line, confirmed_date=wanted.requested_date)

    # Ningbo: parts, one line confirmed and shipped, one with a later date proposed, one waiting.
    parts = await _order(
        hub,
        ningbo.id,
        "PO-2026-0588",
        [
            ("BRK-20", "不锈钢支架 Stainless bracket", 500, "pcs", "12.50", 6),
            ("SCR-M4", "M4 螺丝 M4 screw", 20000, "pcs", "0.08", 9),
            ("HNG-35", "35mm 铰链 35 mm hinge", 1200, "pcs", "3.20", 12),
        ],
    )
    await _order(
        hub, ningbo.id, "PO-2026-0601", [("BRK-40", "加厚支架 Heavy bracket", 200, "pcs", "18.00", 15)]
    )
    await _schedule(hub, parts, 1, 6, 500, 0)
    await _schedule(hub, parts, 2, 9, 20000, 0)
    ningbo_actor = _actor(ningbo_user)
    view = await orders.order_detail(hub, ningbo_actor, parts)
    first, screws = view.lines[0], view.lines[1]
    await orders.confirm_line(hub, ningbo_actor, parts, 1, confirmed_date=first.requested_date)
    await orders.confirm_line(
        hub,
        ningbo_actor,
        parts,
        2,
        confirmed_date=screws.requested_date + timedelta(days=4),
        reason="电镀线检修 plating line maintenance",
    )
    await deliveries.submit_notice(
        hub,
        ningbo_actor,
        deliveries.NewNotice(
            number="ASN-NB-0001",
            ship_date=first.requested_date - timedelta(days=2),
            eta=first.requested_date,
            carrier="顺丰 SF Express",
            tracking_no="SF1234567890",
            lines=[deliveries.NoticeLineIn(line_id=first.id, quantity=500)],
        ),
    )
    return "2 partners with orders (partner@ and partner2@)"
