"""`GET /api/v1/tickets/{id}/sla`: a ticket's clocks for staff; partners are refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind, Role
from hub.models import TicketSla
from hub.services.sla_sweep import sweep
from tests import factories
from tests.integration.sla_setup import desk, sh
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_staff_read_a_tickets_clocks_and_partners_do_not(client, clocked_hub, clock) -> None:
    clock.at = sh("2026-03-04T10:00")
    d = await desk(clocked_hub)
    ticket_id = await d.message(clocked_hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=5)
    await sweep(clocked_hub)
    url = f"/api/v1/tickets/{ticket_id}/sla"
    body = (await client.get(url, headers=await factories.login(client, d.other_agent))).json()
    assert body["computed"] and body["policy"] == "default-webchat" and body["calendar"] == "cn"
    assert body["breached"] and body["next_due_at"] is None
    assert body["targets"] == {
        "first_response": {
            "state": "breached",
            "due_at": "2026-03-04T02:03:00Z",
            "met_at": None,
            "breached_at": "2026-03-04T02:03:00Z",
        }
    }, "no next response yet, and no resolution target by default"
    org = await factories.organization(clocked_hub)
    partner = await factories.user(clocked_hub, Role.PARTNER, organization_id=org.id)
    assert_problem(await client.get(url, headers=await factories.login(client, partner)), 403, "forbidden")


async def test_a_ticket_without_computed_clocks_says_so(client, clocked_hub) -> None:
    d = await desk(clocked_hub)
    ticket_id = await d.message(clocked_hub, ChannelKind.EMAIL, sender="a@example.com")
    async with clocked_hub.uow() as uow:
        await uow.session.execute(sa.delete(TicketSla))
        await uow.commit()
    body = (
        await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=await factories.login(client, d.agent))
    ).json()
    assert body["computed"] is False and body["targets"] == {}
