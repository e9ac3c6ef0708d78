"""Agent replies on the API channel leave through the outbox as signed webhooks to a real loopback server.

Real PostgreSQL, Redis and HTTP; retries and leases are driven with an injected clock instead of waits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from arq import Retry

from channels.registry import ChannelSenders
from hub.actors import Actor
from hub.core import Hub
from hub.domain import DeliveryStatus, OutboxStatus, Role, TicketEventKind
from hub.errors import RetryLater
from hub.models import Message, Outbox, TicketEvent, User
from hub.services import tickets
from hub.services.delivery import backoff
from tests import factories
from tests.loopback import Answer, CallbackServer, StepClock
from web.runtime import Runtime
from web.worker import build_worker, deliver_outbox

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
async def callback() -> AsyncIterator[CallbackServer]:
    server = await CallbackServer().start()
    try:
        yield server
    finally:
        await server.close()


@dataclass
class Conversation:
    channel: factories.ApiChannel
    ticket_id: uuid.UUID
    agent: User

    @property
    def actor(self) -> Actor:
        return Actor(kind="user", user_id=self.agent.id, role=self.agent.role, name=self.agent.name)


async def conversation(hub: Hub, callback_url: str) -> Conversation:
    chan = await factories.api_channel(hub, callback_url=callback_url)
    result = await factories.inbound(
        hub, chan.channel.id, sender="erp:customer-7", text="我的订单还没有发货", thread_ref="order-7"
    )
    agent = await factories.user(hub, Role.AGENT)
    return Conversation(chan, result.ticket_id, agent)


async def reply(hub: Hub, conv: Conversation, text: str = "今天发货。") -> tuple[uuid.UUID, uuid.UUID]:
    message = await tickets.reply(hub, conv.actor, conv.ticket_id, tickets.Draft(text=text))
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == message.id))
    assert outbox_id is not None
    return message.id, outbox_id


async def rows(hub: Hub, outbox_id: uuid.UUID) -> tuple[Outbox, Message]:
    async with hub.uow() as uow:
        outbox = await uow.session.get(Outbox, outbox_id)
        assert outbox is not None
        message = await uow.session.get(Message, outbox.message_id)
        assert message is not None
        return outbox, message


async def events(hub: Hub, ticket_id: uuid.UUID, kind: TicketEventKind) -> list[TicketEvent]:
    async with hub.uow() as uow:
        found = await uow.session.scalars(
            sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
        )
        return list(found)


def at(hub: Hub, clock: StepClock) -> Hub:
    return dataclasses.replace(hub, clock=clock)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_reply_is_posted_once_signed_and_marked_sent(
    runtime: Runtime, hub: Hub, callback: CallbackServer
) -> None:
    conv = await conversation(hub, callback.url)
    message_id, outbox_id = await reply(hub, conv, text="您的订单今天发货。")

    worker = build_worker(runtime, burst=True, handle_signals=False, crons=False)
    assert await worker.run_check() == 1

    [request] = callback.requests
    assert request.method == "POST" and request.path == "/hooks/hub"
    assert request.headers["x-hub-delivery"] == str(outbox_id)
    assert request.headers["x-hub-signature-256"] == signature(conv.channel.webhook_secret, request.body)
    body = json.loads(request.body)
    assert body["event"] == "message.outbound"
    assert body["delivery_id"] == str(outbox_id)
    assert body["message_id"] == str(message_id)
    assert body["ticket_id"] == str(conv.ticket_id)
    assert body["text"] == "您的订单今天发货。"
    assert body["thread_ref"] == "order-7"
    assert body["recipient"] == "erp:customer-7"
    assert body["author"] == conv.agent.name

    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.SENT and outbox.attempts == 1 and outbox.sent_at is not None
    assert message.delivery_status is DeliveryStatus.SENT and message.delivery_error is None
    assert message.external_id == "remote-1"


async def test_transient_failures_back_off_keep_the_error_visible_then_succeed(
    runtime: Runtime, hub: Hub, callback: CallbackServer
) -> None:
    clock = StepClock()
    hub = at(hub, clock)
    conv = await conversation(hub, callback.url)
    _, outbox_id = await reply(hub, conv)
    callback.answer(Answer(503, b"down for maintenance"), Answer(503, b"down for maintenance"))

    # The worker's job turns the transient failure into an arq retry after the row's backoff.
    with pytest.raises(Retry) as retry:
        await deliver_outbox({"runtime": dataclasses.replace(runtime, hub=hub)}, str(outbox_id))
    assert retry.value.defer_score == backoff(1) * 1000
    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.PENDING and outbox.attempts == 1
    assert outbox.next_attempt_at == clock.now() + timedelta(seconds=backoff(1))
    assert message.delivery_status is DeliveryStatus.QUEUED
    assert message.delivery_error == "attempt 1 failed, retrying: callback answered 503: down for maintenance"

    # A job that turns up before the backoff has run out (a duplicate, a re-drive) does not send early.
    clock.advance(backoff(1) / 2)
    with pytest.raises(RetryLater) as early:
        await hub.deliver(outbox_id)
    assert early.value.defer_seconds == pytest.approx(backoff(1) / 2)
    assert len(callback.requests) == 1
    assert (await rows(hub, outbox_id))[0].attempts == 1

    clock.advance(backoff(1) / 2)
    with pytest.raises(RetryLater) as second:
        await hub.deliver(outbox_id)
    assert second.value.defer_seconds == backoff(2)
    outbox, message = await rows(hub, outbox_id)
    assert outbox.attempts == 2 and outbox.next_attempt_at == clock.now() + timedelta(seconds=backoff(2))
    assert message.delivery_error is not None and message.delivery_error.startswith("attempt 2 failed")

    clock.advance(backoff(2))
    assert await hub.deliver(outbox_id) == "sent"
    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.SENT and outbox.attempts == 3 and outbox.last_error is None
    assert message.delivery_status is DeliveryStatus.SENT and message.delivery_error is None
    assert len(callback.requests) == 3
    assert {r.headers["x-hub-delivery"] for r in callback.requests} == {str(outbox_id)}


async def test_a_callback_that_times_out_is_retried(hub: Hub, callback: CallbackServer) -> None:
    clock = StepClock()
    async with httpx.AsyncClient(timeout=0.5) as impatient:
        hub = dataclasses.replace(
            hub,
            clock=clock,
            senders=ChannelSenders(settings=hub.settings, http=impatient, storage=hub.storage),
        )
        conv = await conversation(hub, callback.url)
        _, outbox_id = await reply(hub, conv)
        callback.answer(Answer(hang=True))

        with pytest.raises(RetryLater):
            await hub.deliver(outbox_id)
        outbox, message = await rows(hub, outbox_id)
        assert outbox.status is OutboxStatus.PENDING and outbox.attempts == 1
        assert message.delivery_status is DeliveryStatus.QUEUED
        assert message.delivery_error == f"attempt 1 failed, retrying: callback {callback.url} timed out"

        clock.advance(backoff(1))
        assert await hub.deliver(outbox_id) == "sent"
    assert (await rows(hub, outbox_id))[1].delivery_status is DeliveryStatus.SENT


async def test_after_the_last_attempt_the_message_fails_with_a_reason_and_an_event(
    hub: Hub, callback: CallbackServer
) -> None:
    clock = StepClock()
    hub = dataclasses.replace(
        hub, clock=clock, settings=dataclasses.replace(hub.settings, outbox_max_attempts=3)
    )
    conv = await conversation(hub, callback.url)
    message_id, outbox_id = await reply(hub, conv)
    callback.default = Answer(502, b"bad gateway")

    for attempt in (1, 2):
        with pytest.raises(RetryLater):
            await hub.deliver(outbox_id)
        clock.advance(backoff(attempt))
    assert await hub.deliver(outbox_id) == "failed"

    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.FAILED and outbox.attempts == 3
    assert message.delivery_status is DeliveryStatus.FAILED
    assert message.delivery_error == "gave up after 3 attempts: callback answered 502: bad gateway"
    [event] = await events(hub, conv.ticket_id, TicketEventKind.DELIVERY_FAILED)
    assert event.message_id == message_id and event.data["reason"] == message.delivery_error

    clock.advance(3600)
    assert await hub.deliver(outbox_id) == "skipped"
    assert len(callback.requests) == 3
