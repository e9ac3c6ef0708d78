"""Staff see where a ticket's SLA targets stand: on the ticket, the next due time in the inbox, and
the breached tickets in a view (and an API filter) of their own."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from hub.domain import ChannelKind, OrganizationKind, Role
from hub.models import TicketSla
from tests import factories
from tests.integration.sla_setup import desk, sh

pytestmark = pytest.mark.anyio
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _row(html: str, ticket_id: object) -> str:
    found = re.search(rf'<tr data-id="{ticket_id}".*?</tr>', html, re.DOTALL)
    assert found, f"no inbox row for {ticket_id}"
    return found.group(0)


async def test_staff_see_each_target_on_the_ticket_and_the_next_due_in_the_inbox(
    client, hub, clocked_hub, clock
) -> None:
    clock.at = sh("2026-03-04T10:00")
    d = await desk(clocked_hub)
    # A chat from March, never answered: its 3 minutes ran out long ago, swept or not.
    late = await d.message(clocked_hub, ChannelKind.WEBCHAT)
    # A mail from now: a business day to answer it.
    fresh = await d.message(hub, ChannelKind.EMAIL, sender="a@example.com")
    due = (await factories.get(hub, TicketSla, fresh)).first_response_due_at
    assert due is not None
    agent = await factories.login(client, d.agent)

    page = (await client.get(f"/tickets/{late}", headers=agent)).text
    assert re.search(r'<li data-target="first_response" data-sla="breached">', page)
    assert 'data-sla="breached">已超时</span>' in page.split('class="who"')[0], "the header says so too"
    assert "策略 default-webchat，日历 cn" in page
    page = (await client.get(f"/tickets/{fresh}", headers=agent)).text
    assert re.search(r'<li data-target="first_response" data-sla="active">', page)
    assert f"截止 {due.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" in page
    assert 'data-sla="breached"' not in page

    inbox = (await client.get("/?view=open", headers=agent)).text
    assert 'data-sla="breached"' in _row(inbox, late)
    late_only = (await client.get("/?view=breached", headers=agent)).text
    assert str(late) in late_only and str(fresh) not in late_only
    listed = await client.get("/api/v1/tickets", params={"breached": "true"}, headers=agent)
    assert [item["id"] for item in listed.json()["items"]] == [str(late)]
    shown = f'<span data-sla="active"><time datetime="{due.astimezone(SHANGHAI).isoformat()}"'
    assert shown in _row(inbox, fresh)


async def test_a_ticket_only_an_auto_reply_opened_says_no_clock_runs(client, hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    email = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(hub, email.id, subject="Out of office", is_auto=True)
    page = (
        await client.get(f"/tickets/{result.ticket_id}", headers=await factories.login(client, agent))
    ).text
    assert "尚无计时目标" in page and "data-target=" not in page


async def test_partners_see_no_service_levels(client, hub) -> None:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["partner.example"])
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    email = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(hub, email.id, sender="ops@partner.example", subject="Plan")
    headers = await factories.login(client, partner)
    inbox = (await client.get("/", headers=headers)).text
    assert str(result.ticket_id) in inbox and "data-sla" not in inbox and 'class="c-due"' not in inbox
    page = (await client.get(f"/tickets/{result.ticket_id}", headers=headers)).text
    assert "Plan" in page and "data-sla" not in page and "sla-title" not in page
    refused = await client.get("/api/v1/tickets", params={"breached": "true"}, headers=headers)
    assert refused.status_code == 403
    assert "view=breached" not in inbox, "no such view for partners"
