"""`GET /api/v1/tickets/{id}/sla`: a ticket's clocks for staff; partners are refused."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hub.delivery import delivery
from hub.delivery import reports as delivery_reports
from hub.domain import ChannelKind, Role
from hub.models import Outbox, TicketSla
from hub.sla.sweep import sweep
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import desk, sh
from tests.loopback import Answer, CallbackServer
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


async def _first_response(client, ticket_id: object, headers: dict[str, str]) -> dict:
    body = (await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=headers)).json()
    return body["targets"]["first_response"]


async def test_a_reply_whose_delivery_failed_for_good_is_no_response(client, hub) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.API)  # an API channel with no callback_url: refused
    agent = await factories.login(client, d.agent)
    sent = await client.post(f"/api/v1/tickets/{ticket_id}/reply", json={"text": "已安排发货"}, headers=agent)
    assert sent.status_code == 201, sent.text
    on_its_way = await _first_response(client, ticket_id, agent)
    assert on_its_way["state"] == "met", "a reply on its way answers the client"

    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(
            sa.select(Outbox.id).where(Outbox.message_id == sent.json()["id"])
        )
    assert outbox_id is not None
    assert await delivery.deliver(hub, outbox_id) == "failed"  # as the worker would

    failed = await _first_response(client, ticket_id, agent)
    assert failed["state"] == "active" and failed["met_at"] is None and failed["due_at"] is not None
    page = (await client.get(f"/tickets/{ticket_id}", headers=agent)).text
    assert re.search(r'<li data-target="first_response" data-sla="active">', page), "the SLA card agrees"

    await delivery.redrive(hub, include_failed=True)
    assert (await _first_response(client, ticket_id, agent))["state"] == "met", "retried, it is on its way"


async def test_a_bounce_after_sending_reopens_the_clock(client, hub) -> None:
    callback = await CallbackServer(default=Answer(status=200, body=b'{"id": "erp-reply-1"}')).start()
    try:
        d = await desk(hub)
        erp = await factories.api_channel(hub, team_id=d.team.id, callback_url=callback.url)
        result = await factories.inbound(hub, erp.channel.id, sender="erp-user-3", text="Where is it?")
        message = await tickets.reply(
            hub, factories.actor(d.agent), result.ticket_id, tickets.Draft(text="Shipped today.")
        )
        async with hub.uow() as uow:
            outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == message.id))
        assert outbox_id is not None and await delivery.deliver(hub, outbox_id) == "sent"
        agent = await factories.login(client, d.agent)
        assert (await _first_response(client, result.ticket_id, agent))["state"] == "met"

        assert await delivery_reports.failed_after_sending(hub, ["erp-reply-1"], "mailbox full") == message.id
        reopened = await _first_response(client, result.ticket_id, agent)
        assert reopened["state"] == "active" and reopened["met_at"] is None
    finally:
        await callback.close()
