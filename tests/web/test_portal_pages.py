"""The portal's pages in both languages: the partner's home, orders and deliveries, its admin's
users page, and the company's partner page and review queue; each refused to the other side."""

from __future__ import annotations

import pytest

from hub.domain import ChannelKind, OrganizationKind, Role
from hub.models import Organization
from tests import factories
from tests.portal import orders as portal
from tests.web.helpers import login

pytestmark = pytest.mark.anyio


async def test_the_partner_reads_its_portal_and_the_manager_the_company_side(hub, client) -> None:
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, manager=manager.id)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    work = await portal.work(hub, partner)
    headers = await login(client, partner.email)

    home = await client.get("/portal", headers=headers)
    assert home.status_code == 200 and "portal.js" in home.text
    assert work.number in home.text and "待您处理" in home.text  # zh-CN by default
    assert 'data-kind="delivery_due"' in home.text
    order = await client.get(f"/portal/orders/{work.order_id}", headers=headers)
    assert order.status_code == 200
    assert 'data-line="1"' in order.text and "confirm-form" in order.text and "12.5000" in order.text
    assert "等待采购方答复" in order.text, "line 2's proposal shows as pending"
    deliveries = await client.get("/portal/deliveries", headers=headers)
    assert f"ASN-{work.number}" in deliveries.text and "notice-form" in deliveries.text
    users = await client.get("/portal/users", headers=headers)
    assert partner.email in users.text
    listed = await client.get("/portal/orders", headers={**headers, "Accept-Language": "en"})
    assert work.number in listed.text

    staff = await login(client, manager.email)
    assert (await client.get("/portal", headers=staff)).status_code == 403
    queue = await client.get("/date-proposals", headers=staff)
    assert queue.status_code == 200 and str(work.proposal_id) in queue.text
    page = await client.get(f"/partners/{org.id}", headers=staff)
    assert (
        page.status_code == 200
        and work.number in page.text
        and 'data-measure="on_time_delivery"' in page.text
        and 'data-measure="quality_step_lateness"' in page.text
        and "8D 步骤逾期答复率" in page.text
    )
    # From one of the partner's tickets, the company's page of its orders is one link away.
    email = await factories.channel(hub, ChannelKind.EMAIL)
    await _domain(hub, org.id, "portal-pages.example")
    ticket = await factories.inbound(hub, email.id, sender="buyer@portal-pages.example")
    side = await client.get(f"/tickets/{ticket.ticket_id}", headers=staff)
    assert f'href="/partners/{org.id}"' in side.text
    own = await client.get(f"/tickets/{ticket.ticket_id}", headers=headers)
    assert own.status_code == 200 and "/partners/" not in own.text
    assert (await client.get("/date-proposals", headers=headers)).status_code == 403
    assert (await client.get(f"/partners/{org.id}", headers=headers)).status_code == 403


async def _domain(hub, organization_id, domain: str) -> None:
    async with hub.uow() as uow:
        (await uow.session.get(Organization, organization_id)).domains = [domain]
        await uow.commit()
