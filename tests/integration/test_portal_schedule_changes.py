"""A partner proposes another date or quantity for a delivery schedule line: each change a version
(the open one before it kept, superseded), the manager on duty told, the ERP's fields never
written (neither by the change nor by its acceptance), and an ERP push leaves the versions alone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.domain import OrganizationKind, PortalPermission, Role
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.models import DeliverySchedule, Notification
from hub.portal import schedule_changes, sync
from hub.portal.states import ProposalStatus
from tests import factories
from tests.portal import orders as portal

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _partner(hub, *permissions: PortalPermission):
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, manager=manager.id)
    user = await factories.user(
        hub, Role.PARTNER, organization_id=org.id, portal_permissions=frozenset(permissions)
    )
    return manager, org, factories.actor(user)


async def _schedule(hub, org_id, ref: str) -> DeliverySchedule:
    order_id, _, _ = await portal.erp_order(hub, org_id)
    body = sync.DeliveryBody(
        order=sync.OrderRef(id=order_id),
        line=1,
        due_date=hub.clock.now().date() + timedelta(days=7),
        quantity=Decimal(60),
        source_updated_at=hub.clock.now(),
    )
    async with hub.uow() as uow:
        outcome = await sync.upsert(uow, CLI, sync.ENTITIES["deliveries"], "sap", ref, body)
        await uow.commit()
    return await factories.get(hub, DeliverySchedule, outcome.id)


async def test_a_change_is_a_version_the_manager_decides_and_the_erp_keeps_its_fields(hub) -> None:
    manager, org, clerk = await _partner(hub, PortalPermission.DELIVERIES)
    schedule = await _schedule(hub, org.id, "dl-change-1")
    later = schedule.due_date + timedelta(days=3)

    first = await schedule_changes.propose(
        hub, clerk, schedule.id, schedule_changes.NewChange(due_date=later, reason="模具维修")
    )
    assert (first.version, first.quantity, first.old_due_date) == (1, Decimal(60), schedule.due_date)
    second = await schedule_changes.propose(
        hub, clerk, schedule.id, schedule_changes.NewChange(due_date=later, quantity=45)
    )
    versions = await schedule_changes.versions(hub, clerk, schedule.id)
    assert [(c.version, c.status) for c in versions] == [
        (2, ProposalStatus.PROPOSED),
        (1, ProposalStatus.SUPERSEDED),
    ]
    async with hub.session_factory() as session:
        told = list(
            await session.scalars(sa.select(Notification).where(Notification.kind == "schedule_change"))
        )
    assert [n.user_id for n in told] == [manager.id, manager.id]
    assert told[-1].params["new_quantity"] == "45" and told[-1].params["new_date"] == later.isoformat()

    with pytest.raises(Forbidden):
        await schedule_changes.decide(hub, clerk, second.id, accept=True)
    with pytest.raises(InvalidInput):
        await schedule_changes.decide(hub, factories.actor(manager), second.id, accept=False)
    accepted = await schedule_changes.decide(hub, factories.actor(manager), second.id, accept=True)
    assert accepted.status is ProposalStatus.ACCEPTED and accepted.decided_at is not None
    with pytest.raises(Conflict):
        await schedule_changes.decide(hub, factories.actor(manager), second.id, accept=True)
    kept = await factories.get(hub, DeliverySchedule, schedule.id)
    assert (kept.due_date, kept.quantity) == (schedule.due_date, Decimal(60)), "the ERP's fields"

    # The ERP sends the agreed schedule: its fields are written, the versions stay as they were.
    body = sync.DeliveryBody(
        order=sync.OrderRef(id=await _order_of(hub, schedule)),
        line=1,
        due_date=later,
        quantity=Decimal(45),
        source_updated_at=hub.clock.now() + timedelta(minutes=1),
    )
    async with hub.uow() as uow:
        await sync.upsert(uow, CLI, sync.ENTITIES["deliveries"], "sap", "dl-change-1", body)
        await uow.commit()
    synced = await factories.get(hub, DeliverySchedule, schedule.id)
    assert (synced.due_date, synced.quantity) == (later, Decimal(45))
    assert [c.status for c in await schedule_changes.versions(hub, clerk, schedule.id)] == [
        ProposalStatus.ACCEPTED,
        ProposalStatus.SUPERSEDED,
    ]
    trail = [a.action for a in await factories.audit_trail(hub, second.id)]
    assert trail == ["delivery_schedule.change_proposed", "delivery_schedule.change_accepted"]


async def _order_of(hub, schedule: DeliverySchedule):
    from hub.models import PortalOrderLine

    line = await factories.get(hub, PortalOrderLine, schedule.line_id)
    return line.order_id


async def test_only_the_partners_own_open_deliveries_with_the_permission(hub) -> None:
    _, org, clerk = await _partner(hub, PortalPermission.DELIVERIES)
    _, _, engineer = await _partner(hub, PortalPermission.QUALITY)
    _, other_org, other = await _partner(hub, PortalPermission.DELIVERIES)
    schedule = await _schedule(hub, org.id, "dl-change-2")
    later = schedule.due_date + timedelta(days=1)
    with pytest.raises(NotFound):  # another partner's delivery is not found, whatever the id
        await schedule_changes.propose(hub, other, schedule.id, schedule_changes.NewChange(due_date=later))
    with pytest.raises(NotFound):
        await schedule_changes.versions(hub, other, schedule.id)
    with pytest.raises(Forbidden):  # no deliveries permission
        await schedule_changes.propose(hub, engineer, schedule.id, schedule_changes.NewChange(due_date=later))
    with pytest.raises(InvalidInput):  # nothing changes
        await schedule_changes.propose(
            hub, clerk, schedule.id, schedule_changes.NewChange(due_date=schedule.due_date, quantity=60)
        )
    assert other_org.id != org.id
    assert await schedule_changes.versions(hub, clerk, schedule.id) == []
