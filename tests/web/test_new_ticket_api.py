"""``POST /api/v1/tickets``: an agent starts a ticket by e-mail, WeChat template or a call log,
through the funnel (contact found or made, ticket opened and clocked) and the outbox (as a reply)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.domain import ChannelKind, DeliveryStatus, Direction, Role, TicketEventKind
from hub.models import Contact, ContactIdentity, Message, Outbox, Ticket
from tests import factories
from tests.web.helpers import Cast, assert_problem

pytestmark = pytest.mark.anyio
URL = "/api/v1/tickets"


async def _messages(hub: Hub, ticket_id: str) -> list[Message]:
    async with hub.uow() as uow:
        return list(
            await uow.session.scalars(sa.select(Message).where(Message.ticket_id == uuid.UUID(ticket_id)))
        )


async def test_an_agent_starts_a_ticket_by_e_mail_and_it_goes_out_through_the_outbox(
    hub: Hub, client, cast: Cast
) -> None:
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    body = {
        "channel_id": str(mailbox.id),
        "to": "Li.Lei@Client.example",
        "name": "李雷",
        "subject": "季度对账单",
        "text": "您好，附上本季度对账单，请核对。",
    }
    created = await client.post(URL, json=body, headers={**cast.as_(Role.AGENT), "Idempotency-Key": "k-1"})
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["subject"] == "季度对账单" and ticket["status"] == "open"
    assert ticket["assignee_id"] == str(cast.agent.id), "the agent who wrote first takes it up"

    (message,) = await _messages(hub, ticket["id"])
    assert message.direction is Direction.OUTBOUND and message.author_user_id == cast.agent.id
    assert message.delivery_status is DeliveryStatus.QUEUED, "sent by the outbox, not marked sent"
    async with hub.uow() as uow:
        outbox = list(await uow.session.scalars(sa.select(Outbox).where(Outbox.message_id == message.id)))
        identity = await uow.session.scalar(
            sa.select(ContactIdentity).where(ContactIdentity.value == "li.lei@client.example")
        )
        assert identity is not None
        contact = await uow.session.get(Contact, identity.contact_id)
    assert len(outbox) == 1 and contact is not None and contact.name == "李雷"
    kinds = [e.kind for e in await factories.events(hub, uuid.UUID(ticket["id"]))]
    assert TicketEventKind.HUMAN_RESPONSE in kinds

    again = await client.post(URL, json=body, headers={**cast.as_(Role.AGENT), "Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json()["id"] == ticket["id"], "the same key opens it once"
    assert len(await _messages(hub, ticket["id"])) == 1
    assert await factories.count(hub, Outbox) == 1

    other = await client.post(URL, json=body, headers={**cast.as_(Role.AGENT), "Idempotency-Key": "k-2"})
    assert other.json()["id"] != ticket["id"], "another key is another ticket, even to the same person"


async def test_wechat_needs_a_template_and_sends_the_text_as_one(hub: Hub, client, cast: Cast) -> None:
    bare = await factories.channel(hub, ChannelKind.WECHAT)
    body = {"channel_id": str(bare.id), "to": "o-openid-1", "text": "您的订单已发货。"}
    refused = assert_problem(
        await client.post(URL, json=body, headers=cast.as_(Role.AGENT)), 422, "new_ticket_no_template"
    )
    assert bare.name in refused["detail"]

    account = await factories.channel(hub, ChannelKind.WECHAT, template_id="TPL-1")
    body["channel_id"] = str(account.id)
    created = await client.post(URL, json=body, headers=cast.as_(Role.SUPERVISOR))
    assert created.status_code == 201, created.text
    (message,) = await _messages(hub, created.json()["id"])
    assert message.meta.get("via") == "template" and message.delivery_status is DeliveryStatus.QUEUED
    async with hub.uow() as uow:
        identity = await uow.session.scalar(
            sa.select(ContactIdentity.value).where(ContactIdentity.kind == ChannelKind.WECHAT)
        )
    assert identity == f"{account.config['app_id']}:o-openid-1", "the account's namespace is added"


async def test_a_call_log_opens_a_ticket_on_a_phone_line(hub: Hub, client, cast: Cast) -> None:
    line = await factories.channel(hub, ChannelKind.PHONE, numbers=["4008001234"], region="CN")
    body = {
        "channel_id": str(line.id),
        "to": "138 0013 8000",
        "text": "客户要求明天回电",
        "call": {"direction": "outbound", "started_at": "2026-12-06T09:30:00+08:00", "duration_seconds": 95},
    }
    created = await client.post(URL, json=body, headers=cast.as_(Role.AGENT))
    assert created.status_code == 201, created.text
    (message,) = await _messages(hub, created.json()["id"])
    assert message.type == "call" and message.meta["call"]["callee"] == "+8613800138000"
    assert message.delivery_status is DeliveryStatus.SENT, "a call had is not sent again"
    assert await factories.count(hub, Outbox) == 0
    del body["call"]
    assert_problem(await client.post(URL, json=body, headers=cast.as_(Role.AGENT)), 422, "invalid_input")


async def test_roles_and_validation(hub: Hub, client, cast: Cast) -> None:
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    webchat = await factories.channel(hub, ChannelKind.WEBCHAT)
    body = {"channel_id": str(mailbox.id), "to": "a@client.example", "text": "Hello"}
    assert (await client.post(URL, json=body)).status_code == 401
    assert_problem(await client.post(URL, json=body, headers=cast.as_(Role.PARTNER)), 403, "forbidden")
    assert (await client.post(URL, json=body, headers=cast.as_(Role.ADMIN))).status_code == 201

    def refused(**changes: object):
        return client.post(URL, json={**body, **changes}, headers=cast.as_(Role.AGENT))

    assert_problem(await refused(text="   "), 422, "invalid_input")
    assert_problem(await refused(to=""), 422, "invalid_input")
    assert_problem(await refused(channel_id=str(uuid.uuid4())), 404, "not_found")
    assert_problem(await refused(channel_id=str(webchat.id)), 422, "new_ticket_channel_kind")
    assert_problem(await refused(call={"started_at": "2026-12-06T09:30:00+08:00"}), 422, "invalid_input")
    assert (await refused(cc="x")).status_code in (400, 422)
    assert await factories.count(hub, Ticket) == 1
