"""The demo's second partner and its quality work: a supplier with a quality case a week old (one
step answered, returned and accepted, one past due), a weekly sync whose last minutes are
published with their action items, and the next meeting waiting with its agenda.

Kept beside :mod:`hub.demo`, which calls it once after its own data: the partner portal's other
half (orders, deliveries) adds its records to the same partner, found by :data:`SUPPLIER_NAME`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from hub.accounts import accounts
from hub.actors import CLI, Actor
from hub.core import Hub
from hub.domain import OrganizationKind, PortalPermission, Role, Tier
from hub.models import Meeting, Organization, User
from hub.portal import action_items, meetings, quality
from hub.portal.terms import MeetingKind, Severity

SUPPLIER_NAME = "宁波精工零部件 Ningbo Precision Parts"
SUPPLIER_DOMAIN = "nbprecision.example"


class _Clock(Protocol):
    current: datetime

    def jump(self, **delta: float) -> None: ...


def _actor(user: User) -> Actor:
    return Actor(
        kind="user",
        user_id=user.id,
        role=user.role,
        organization_id=user.organization_id,
        name=user.name,
        portal_permissions=frozenset(PortalPermission(p) for p in user.portal_permissions),
    )


async def _supplier(hub: Hub, manager: User, backup: User) -> Organization:
    """The second partner: made here unless the demo made it already."""
    async with hub.uow() as uow:
        found = await uow.session.scalar(sa.select(Organization).where(Organization.name == SUPPLIER_NAME))
        if found is not None:
            return found
        supplier = Organization(
            id=uuid.uuid4(),
            name=SUPPLIER_NAME,
            kind=OrganizationKind.PARTNER,
            tier=Tier.CORE,
            domains=[SUPPLIER_DOMAIN],
            account_manager_id=manager.id,
            backup_manager_id=backup.id,
        )
        uow.session.add(supplier)
        await uow.commit()
        return supplier


async def seed_quality(
    hub: Hub, clock: _Clock, *, manager: User, backup: User, password: str, domain: str
) -> None:
    """``hub`` runs on the demo's stepping ``clock``; the case opens eight days ago."""
    supplier = await _supplier(hub, manager, backup)
    engineer = await accounts.create_user(
        hub,
        CLI,
        accounts.NewUser(
            email=f"quality@{domain}",
            name="陈静 Chen Jing (宁波精工 质量)",
            role=Role.PARTNER,
            password=password,
            organization_id=supplier.id,
            portal_permissions=frozenset(PortalPermission),
        ),
    )
    buyer, partner = _actor(manager), _actor(engineer)
    clock.current = clock.current - timedelta(days=8)
    series = await meetings.create_series(
        hub,
        buyer,
        supplier.id,
        kind=MeetingKind.WEEKLY_SYNC,
        title="宁波精工周例会 Weekly sync",
        starts_at=clock.current + timedelta(days=1, hours=2),
    )
    case = await quality.open_case(
        hub,
        buyer,
        supplier.id,
        quality.NewCase(
            title="轴承座尺寸超差 Bearing housing out of tolerance",
            description="第 2 批 500 件中 12 件内径超差 +0.03 mm。12 of 500 pieces of lot 2: bore +0.03 mm over.",
            severity=Severity.MAJOR,
            item="BH-6204",
            lot="L2026-02",
        ),
    )
    clock.jump(hours=3)
    await quality.answer_step(
        hub, partner, case.id, "D3", "已隔离仓库库存 300 件。Quarantined 300 pcs in our warehouse."
    )
    clock.jump(hours=2)
    await quality.review_step(
        hub,
        buyer,
        case.id,
        "D3",
        decision="reject",
        comment="在途 200 件也需隔离。Include the 200 pcs in transit.",
    )
    clock.jump(hours=4)
    await quality.answer_step(
        hub,
        partner,
        case.id,
        "D3",
        "在途 200 件已在贵司仓库隔离待检。The 200 pcs in transit are held at your dock.",
    )
    clock.jump(hours=1)
    await quality.review_step(
        hub, buyer, case.id, "D3", decision="accept", comment="遏制措施有效。Containment OK."
    )
    await action_items.create(
        hub,
        buyer,
        supplier.id,
        action_items.NewActionItem(
            title="提供 CMM 检测报告 Send the CMM report",
            owner_user_id=engineer.id,
            due_at=clock.current + timedelta(days=4),
            quality_case_id=case.id,
        ),
    )
    clock.jump(days=1)
    async with hub.uow() as uow:
        first = await uow.session.scalar(sa.select(Meeting.id).where(Meeting.series_id == series.id))
    assert first is not None  # made with the series
    await meetings.save_minutes(
        hub,
        buyer,
        first,
        minutes="1. D3 遏制已完成。Containment done.\n2. D4 根因分析下周一前提交。Root cause by Monday.",
        attendee_ids=[manager.id, engineer.id],
    )
    await meetings.publish(
        hub,
        buyer,
        first,
        [
            meetings.Decision(
                "更换磨损夹具 Replace the worn fixture",
                owner_user_id=engineer.id,
                due_at=clock.current + timedelta(days=10),
            ),
            meetings.Decision("复核图纸公差 Re-check the drawing tolerance", owner_user_id=manager.id),
        ],
    )
