"""A partner's scorecard from its records: deliveries on time out of those due, hours to confirm
a line, the share of its 8D steps answered late, and how fast (and whether within 2 business
hours) the company answered its proposals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from hub.actors import CLI
from hub.domain import OrganizationKind, PortalPermission, Role
from hub.errors import Forbidden
from hub.portal import orders, quality, scorecard, sync
from tests import factories
from tests.portal import orders as portal

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _delivery(hub, order_id, line: int, days: int, received: int) -> None:
    body = sync.DeliveryBody(
        order=sync.OrderRef(id=order_id),
        line=line,
        due_date=hub.clock.now().date() + timedelta(days=days),
        quantity=Decimal(10),
        received_quantity=Decimal(received),
        source_updated_at=hub.clock.now(),
    )
    async with hub.uow() as uow:
        await sync.upsert(uow, CLI, sync.ENTITIES["deliveries"], "sap", f"dl-{line}-{days}", body)
        await uow.commit()


async def test_the_scorecard_measures_deliveries_confirmations_and_answers(clocked_hub, clock) -> None:
    hub = clocked_hub
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, manager=manager.id)
    partner = factories.actor(await factories.user(hub, Role.PARTNER, organization_id=org.id))
    empty = {m.name: m.value for m in await scorecard.scorecard(hub, CLI, org.id)}
    assert set(empty.values()) == {None}, "nothing measured yet is not 0 %"

    order_id, _, _ = await portal.erp_order(hub, org.id)
    clock.advance(hours=5)
    line = await portal.line(hub, order_id, 1)
    await orders.confirm_line(hub, partner, order_id, 1, confirmed_date=line.requested_date)
    proposal = await orders.propose_date(
        hub, partner, order_id, 2, proposed_date=line.requested_date + timedelta(days=9)
    )
    clock.advance(hours=1)
    await orders.decide_proposal(hub, factories.actor(manager), proposal.id, accept=True)
    await _delivery(hub, order_id, 1, 2, 10)  # received in full before it is due
    await _delivery(hub, order_id, 2, -1, 4)  # due yesterday, not all here
    case = await quality.open_case(hub, factories.actor(manager), org.id, quality.NewCase("毛刺 Burrs"))
    engineer = await factories.user(
        hub, Role.PARTNER, organization_id=org.id, portal_permissions=frozenset({PortalPermission.QUALITY})
    )
    clock.advance(days=3)  # D3 (1bd) fell due; D4, D5 (5bd) and D8 (30d) are not due yet
    await quality.answer_step(hub, factories.actor(engineer), case.id, "D3", "Sorted, a day late")

    measures = {m.name: (m.value, m.count) for m in await scorecard.scorecard(hub, CLI, org.id)}
    assert measures["on_time_delivery"] == (50.0, 2)
    assert measures["confirmation_lead_time"] == (5.5, 2)  # line 1 confirmed 5 h in, line 2 accepted 6 h in
    assert measures["quality_step_lateness"] == (100.0, 1)
    assert list(measures)[:3] == ["on_time_delivery", "confirmation_lead_time", "quality_step_lateness"]
    assert measures["proposal_answer_time"] == (1.0, 1)
    assert measures["proposals_answered_in_time"] == (100.0, 1)
    with pytest.raises(Forbidden):
        await scorecard.scorecard(hub, partner, org.id)
