"""Agent replies on the API channel leave through the outbox as signed webhooks to a real loopback server.

Real PostgreSQL, Redis and HTTP; retries and leases are driven with an injected clock instead of waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import inspect
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from arq import Retry
from litestar.testing import AsyncTestClient

from channels.catalogue import Catalogue
from hub.actors import Actor
from hub.core import Hub
from hub.delivery import delivery
from hub.delivery.delivery import LEASE, REDRIVE_GRACE, backoff
from hub.domain import DeliveryStatus, OutboxStatus, Role, TicketEventKind
from hub.errors import RetryLater
from hub.models import Message, Outbox, TicketEvent, User
from hub.ports import JobRequest
from hub.tickets import tickets
from hub.tickets.tickets import DELIVER_JOB
from tests import factories
from tests.cli import HUB_COMMAND, hub_env, run_hub
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


async def replied_on_step_clock(hub: Hub, callback_url: str) -> tuple[Hub, StepClock, uuid.UUID]:
    """The hub on a clock the test steps by hand, and the outbox row of an agent's reply made on it."""
    clock = StepClock()
    hub = at(hub, clock)
    _, outbox_id = await reply(hub, await conversation(hub, callback_url))
    return hub, clock, outbox_id


async def poll(condition: Callable[[], object], within: float = 10.0) -> None:
    """Wait until ``condition()`` (sync or async) holds, checking often; fail after ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            held = condition()
            if inspect.isawaitable(held):
                held = await held
            if held:
                return
            await asyncio.sleep(0.02)


async def is_sent(hub: Hub, outbox_id: uuid.UUID) -> bool:
    return (await rows(hub, outbox_id))[0].status is OutboxStatus.SENT


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
    hub, clock, outbox_id = await replied_on_step_clock(hub, callback.url)
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
        await delivery.deliver(hub, outbox_id)
    assert early.value.defer_seconds == pytest.approx(backoff(1) / 2)
    assert len(callback.requests) == 1
    assert (await rows(hub, outbox_id))[0].attempts == 1

    clock.advance(backoff(1) / 2)
    with pytest.raises(RetryLater) as second:
        await delivery.deliver(hub, outbox_id)
    assert second.value.defer_seconds == backoff(2)
    outbox, message = await rows(hub, outbox_id)
    assert outbox.attempts == 2 and outbox.next_attempt_at == clock.now() + timedelta(seconds=backoff(2))
    assert message.delivery_error is not None and message.delivery_error.startswith("attempt 2 failed")

    clock.advance(backoff(2))
    assert await delivery.deliver(hub, outbox_id) == "sent"
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
            channels=Catalogue(dataclasses.replace(hub.channels.resources, http=impatient)),
        )
        conv = await conversation(hub, callback.url)
        _, outbox_id = await reply(hub, conv)
        callback.answer(Answer(hang=True))

        with pytest.raises(RetryLater):
            await delivery.deliver(hub, outbox_id)
        outbox, message = await rows(hub, outbox_id)
        assert outbox.status is OutboxStatus.PENDING and outbox.attempts == 1
        assert message.delivery_status is DeliveryStatus.QUEUED
        assert message.delivery_error == f"attempt 1 failed, retrying: callback {callback.url} timed out"

        clock.advance(backoff(1))
        assert await delivery.deliver(hub, outbox_id) == "sent"
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
            await delivery.deliver(hub, outbox_id)
        clock.advance(backoff(attempt))
    assert await delivery.deliver(hub, outbox_id) == "failed"

    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.FAILED and outbox.attempts == 3
    assert message.delivery_status is DeliveryStatus.FAILED
    assert message.delivery_error == "gave up after 3 attempts: callback answered 502: bad gateway"
    [event] = await events(hub, conv.ticket_id, TicketEventKind.DELIVERY_FAILED)
    assert event.message_id == message_id and event.data["reason"] == message.delivery_error

    clock.advance(3600)
    assert await delivery.deliver(hub, outbox_id) == "skipped"
    assert len(callback.requests) == 3


async def login(client: AsyncTestClient, user: User) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_a_rejected_callback_fails_the_message_at_once_visibly_in_the_api(
    runtime: Runtime, hub: Hub, client: AsyncTestClient, callback: CallbackServer
) -> None:
    conv = await conversation(hub, callback.url)
    auth = await login(client, conv.agent)
    callback.default = Answer(400, b'{"error": "unknown thread order-7"}')

    sent = await client.post(
        f"/api/v1/tickets/{conv.ticket_id}/reply", json={"text": "今天发货。"}, headers=auth
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["delivery_status"] == "queued"
    worker = build_worker(runtime, burst=True, handle_signals=False, crons=False)
    assert await worker.run_check() == 1
    assert len(callback.requests) == 1, "a permanent failure is not retried"

    ticket = (await client.get(f"/api/v1/tickets/{conv.ticket_id}", headers=auth)).json()
    [outbound] = [m for m in ticket["messages"] if m["direction"] == "outbound"]
    assert outbound["id"] == sent.json()["id"]
    assert outbound["delivery_status"] == "failed"
    assert outbound["delivery_error"] == 'callback answered 400: {"error": "unknown thread order-7"}'
    timeline = (await client.get(f"/api/v1/tickets/{conv.ticket_id}/events", headers=auth)).json()
    [failed] = [e for e in timeline if e["kind"] == "delivery_failed"]
    assert failed["message_id"] == outbound["id"] and "400" in failed["data"]["reason"]


async def test_two_jobs_for_one_row_at_once_send_one_webhook(
    runtime: Runtime, hub: Hub, callback: CallbackServer
) -> None:
    conv = await conversation(hub, callback.url)
    _, outbox_id = await reply(hub, conv)
    held = asyncio.Event()
    callback.answer(Answer(gate=held))
    # The reply enqueued its own job; two more for the same row, as a re-drive and a retry would.
    await hub.jobs.enqueue(
        [JobRequest(DELIVER_JOB, (str(outbox_id),), job_id=f"duplicate-{n}") for n in (1, 2)]
    )

    worker = build_worker(runtime, burst=True, handle_signals=False, crons=False)
    running = asyncio.create_task(worker.run_check())
    try:
        await callback.wait_for_requests(1)
        # The first send is still in flight while the other two jobs run to completion.
        await poll(lambda: worker.jobs_complete == 2)
        held.set()
        assert await running == 3
    finally:
        held.set()
        if not running.done():
            running.cancel()
    assert len(callback.requests) == 1
    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.SENT and outbox.attempts == 1
    assert message.delivery_status is DeliveryStatus.SENT


async def test_a_reply_whose_job_was_lost_is_redriven_and_delivered(
    runtime: Runtime, hub: Hub, callback: CallbackServer
) -> None:
    hub, clock, outbox_id = await replied_on_step_clock(hub, callback.url)
    await runtime.redis.flushdb()  # the enqueue after commit was lost

    assert await delivery.redrive(hub) == 0, "within the grace period the job may still be on its way"
    clock.advance(REDRIVE_GRACE.total_seconds() + 1)
    assert await delivery.redrive(hub) == 1

    worker = build_worker(
        dataclasses.replace(runtime, hub=hub), burst=True, handle_signals=False, crons=False
    )
    assert await worker.run_check() == 1
    assert len(callback.requests) == 1
    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.SENT and message.delivery_status is DeliveryStatus.SENT


async def test_a_late_failure_from_an_expired_lease_cannot_undo_the_delivery(
    hub: Hub, callback: CallbackServer
) -> None:
    first = StepClock()
    conv = await conversation(at(hub, first), callback.url)
    _, outbox_id = await reply(at(hub, first), conv)
    held = asyncio.Event()
    callback.answer(Answer(503, b"slow and then sorry", gate=held))

    stalled = asyncio.create_task(delivery.deliver(at(hub, first), outbox_id))
    try:
        await callback.wait_for_requests(1)
        # The stalled sender outlives its lease: another job takes the row over and delivers it.
        later = StepClock(first.now() + LEASE + timedelta(seconds=1))
        assert await delivery.deliver(at(hub, later), outbox_id) == "sent"
        held.set()
        assert await stalled == "skipped"
    finally:
        held.set()
        if not stalled.done():
            stalled.cancel()
    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.SENT and outbox.attempts == 2
    assert message.delivery_status is DeliveryStatus.SENT and message.delivery_error is None


async def test_a_worker_killed_mid_delivery_is_replaced_once_its_lease_expires(
    runtime: Runtime, hub: Hub, callback: CallbackServer, tmp_path: Path
) -> None:
    conv = await conversation(hub, callback.url)
    callback.answer(Answer(hang=True))  # the first POST is accepted and never answered
    _, outbox_id = await reply(hub, conv)

    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            HUB_COMMAND, "worker", env=hub_env(runtime, tmp_path), stdout=log_file, stderr=log_file
        )
    try:
        await callback.wait_for_requests(1, within=15)
    except TimeoutError:
        pytest.fail(f"the worker never called back; its log:\n{log_path.read_text()}")
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()

    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.DELIVERING and outbox.attempts == 1
    assert outbox.next_attempt_at > datetime.now(UTC), "the dead worker's lease is still running"
    assert message.delivery_status is DeliveryStatus.SENDING
    assert await delivery.redrive(hub) == 0

    later = at(hub, StepClock(outbox.next_attempt_at + timedelta(seconds=1)))
    assert await delivery.redrive(later) == 1
    # Not burst mode: the dead worker's own job stays "in progress" in arq until its timeout, and a
    # burst worker would wait for it.
    worker = build_worker(dataclasses.replace(runtime, hub=later), handle_signals=False, crons=False)
    running = asyncio.create_task(worker.async_run())
    try:
        await poll(lambda: is_sent(hub, outbox_id))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    assert len(callback.requests) == 2
    assert {r.headers["x-hub-delivery"] for r in callback.requests} == {str(outbox_id)}
    outbox, message = await rows(hub, outbox_id)
    assert outbox.attempts == 2 and message.delivery_status is DeliveryStatus.SENT


async def test_outbox_retry_failed_puts_failed_deliveries_back_in_the_queue(
    runtime: Runtime, hub: Hub, callback: CallbackServer, tmp_path: Path
) -> None:
    conv = await conversation(hub, callback.url)
    callback.default = Answer(410, b"gone")
    outbox_ids = [(await reply(hub, conv, text=f"reply {n}"))[1] for n in (1, 2)]
    for outbox_id in outbox_ids:
        assert await delivery.deliver(hub, outbox_id) == "failed"
    await runtime.redis.flushdb()  # only the CLI's jobs remain

    result = await run_hub(runtime, tmp_path, "outbox", "retry", "--failed")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 deliveries queued"
    for outbox_id in outbox_ids:
        outbox, message = await rows(hub, outbox_id)
        assert outbox.status is OutboxStatus.PENDING and outbox.attempts == 0
        assert message.delivery_status is DeliveryStatus.QUEUED and message.delivery_error is None

    callback.default = Answer(200)
    worker = build_worker(runtime, burst=True, handle_signals=False, crons=False)
    assert await worker.run_check() == 2
    for outbox_id in outbox_ids:
        assert (await rows(hub, outbox_id))[1].delivery_status is DeliveryStatus.SENT


async def test_an_integration_answering_an_id_it_already_used_does_not_break_delivery(
    hub: Hub, callback: CallbackServer
) -> None:
    conv = await conversation(hub, callback.url)
    async with hub.uow() as uow:
        inbound_id = await uow.session.scalar(
            sa.select(Message.external_id).where(Message.ticket_id == conv.ticket_id)
        )
    # Some integrations answer every webhook with the same id, or with an id of their own inbound message.
    callback.default = Answer(200, json.dumps({"id": inbound_id}).encode())
    _, outbox_id = await reply(hub, conv)

    assert await delivery.deliver(hub, outbox_id) == "sent"
    outbox, message = await rows(hub, outbox_id)
    assert outbox.status is OutboxStatus.SENT and outbox.attempts == 1
    assert message.delivery_status is DeliveryStatus.SENT
    assert message.external_id is None and message.meta["remote_id"] == inbound_id
    assert len(callback.requests) == 1
