"""A real ``hub worker`` killed with SIGKILL at random points of ingest and of delivery, again and
again: afterwards every stored payload is on a ticket exactly once, and every reply reached its
client at most once and reads either sent or failed.

The worker processes stored WeChat-style payloads (``process_later``) and delivers replies by
SMTP (a real server on loopback, where a second submission would be a second mail) and by the API
channel's webhook (whose receiver drops a repeat by ``X-Hub-Delivery``). Kills land mid-send: the
SMTP server kills the worker while it waits for the answer to a mail the server has already
taken. What a dead worker leaves (leases running, jobs lost) is then recovered the way the
worker's own sweeps do, with the time those sweeps wait for skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import signal
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.delivery import delivery
from hub.domain import OutboxStatus, RawStatus, Role
from hub.errors import RetryLater
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, Sender
from hub.models import Message, Outbox, RawInbound
from hub.models.channels import ChannelKind
from hub.tickets import tickets
from tests import factories
from tests.conftest import HUB_EXECUTABLE, cli_env
from tests.email_helpers import mailbox
from tests.loopback import CallbackServer, StepClock
from tests.smtp_sink import Received, SmtpSink

pytestmark = pytest.mark.anyio

PUSHES = 40
MAIL_REPLIES = 16
API_REPLIES = 12
ROUNDS = 5


class Worker:
    """One ``hub worker`` process on the test's servers."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            HUB_EXECUTABLE,
            "worker",
            "--normal-priority",
            env=cli_env(self.hub.settings),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    def kill(self) -> None:
        # Reaped but not yet told: asyncio learns a child's exit a moment after it happens.
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    async def dead(self) -> None:
        assert self.process is not None
        await asyncio.wait_for(self.process.wait(), 30)


async def _settled(hub: Hub) -> bool:
    async with hub.uow() as uow:
        raw = await uow.session.scalar(
            sa.select(sa.func.count()).select_from(RawInbound).where(RawInbound.status == RawStatus.RECEIVED)
        )
        active = await uow.session.scalar(
            sa.select(sa.func.count())
            .select_from(Outbox)
            .where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.DELIVERING]))
        )
    return not raw and not active


async def _recover(hub: Hub) -> None:
    """What the worker's sweeps do once the dead worker's leases and jobs have run out, now."""
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.update(Outbox)
            .where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.DELIVERING]))
            .values(next_attempt_at=sa.func.now() - sa.text("interval '1 second'"))
        )
        await uow.commit()
        raw_ids = (
            await uow.session.scalars(sa.select(RawInbound.id).where(RawInbound.status == RawStatus.RECEIVED))
        ).all()
        outbox_ids = (
            await uow.session.scalars(
                sa.select(Outbox.id).where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.DELIVERING]))
            )
        ).all()
    for raw_id in raw_ids:
        await ingest.process_raw(hub, raw_id)
    for outbox_id in outbox_ids:
        with _NoRetry():
            await delivery.deliver(hub, outbox_id)


class _NoRetry:
    """The receivers accept everything: a retry here would be a test bug, say so."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, value: BaseException | None, tb: object) -> bool:
        if isinstance(value, RetryLater):
            raise AssertionError(f"a delivery asked to be retried: {value}")
        return False


async def test_a_worker_killed_at_random_points_loses_and_doubles_nothing(hub: Hub) -> None:
    rng = random.Random(int(os.environ.get("HUB_CRASH_SEED", "20261206")))
    worker = Worker(hub)
    mails_this_round = 0
    kill_at = 0

    async def on_mail(_: Received) -> None:
        nonlocal mails_this_round
        mails_this_round += 1
        if mails_this_round == kill_at:
            worker.kill()  # the mail is taken; the worker never hears the 250
        await asyncio.sleep(0.01)  # a mail server's own pace, so kills find sends in flight

    sink = await SmtpSink(on_mail=on_mail).start()
    receiver = await CallbackServer().start()
    try:
        box = await mailbox(hub, smtp_host="127.0.0.1", smtp_port=sink.port, smtp_tls="none")
        api = await factories.api_channel(hub, callback_url=receiver.url)
        pushes = await factories.channel(hub, ChannelKind.API)
        agent = factories.actor(await factories.user(hub, Role.AGENT))
        replies: list[uuid.UUID] = []
        for n in range(MAIL_REPLIES):
            opened = await factories.inbound(hub, box.id, sender=f"client{n}@example.com", text=f"问题 {n}")
            assert opened.ticket_id is not None
            replies.append(
                (await tickets.reply(hub, agent, opened.ticket_id, tickets.Draft(text=f"答复 {n}"))).id
            )
        for n in range(API_REPLIES):
            opened = await factories.inbound(hub, api.channel.id, sender=f"crm:{n}", text=f"question {n}")
            assert opened.ticket_id is not None
            replies.append(
                (await tickets.reply(hub, agent, opened.ticket_id, tickets.Draft(text=f"answer {n}"))).id
            )
        for n in range(PUSHES):
            await ingest.store(
                hub,
                InboundMessage(
                    channel_id=pushes.id,
                    external_id=f"push-{n}",
                    sender=Sender(f"wx:o{n % 7}"),
                    text=f"推送 {n}",
                ),
                process_later=True,
            )

        for round_number in range(ROUNDS):
            mails_this_round = 0
            kill_at = rng.randint(1, 4)
            await worker.start()
            if round_number % 2:
                # Not tied to a mail: somewhere in the middle of whatever the worker is doing.
                await asyncio.sleep(rng.uniform(1.0, 2.5))
                worker.kill()
            await _dead_or_idle(worker, hub)
            await _recover_some(hub, rng)
        await _recover(hub)
        assert await _settled(hub)
    finally:
        worker.kill()
        await sink.close()
        await receiver.close()

    async with hub.uow() as uow:
        pushed = Counter(
            (
                await uow.session.scalars(
                    sa.select(Message.external_id).where(Message.channel_id == pushes.id)
                )
            ).all()
        )
        states = dict(
            (
                await uow.session.execute(
                    sa.select(Outbox.message_id, Outbox.status).where(Outbox.message_id.in_(replies))
                )
            ).all()
        )
        failed_reasons = (
            await uow.session.scalars(
                sa.select(Message.meta["delivery_error"]["code"].astext).where(
                    Message.id.in_(replies), Message.delivery_status == "failed"
                )
            )
        ).all()
    assert pushed == Counter({f"push-{n}": 1 for n in range(PUSHES)})  # each on a ticket, once

    mails = Counter(mail.message["In-Reply-To"] for mail in sink.received)
    assert all(count == 1 for count in mails.values()), mails  # no client got a mail twice
    deliveries = Counter(request.headers["x-hub-delivery"] for request in receiver.requests)
    assert len(deliveries) == API_REPLIES  # each reached the integration (a repeat it drops)
    assert set(states.values()) <= {OutboxStatus.SENT, OutboxStatus.FAILED}
    assert len(states) == MAIL_REPLIES + API_REPLIES
    # A failure is the one a dead worker can cause: the outcome of a mail it was sending.
    assert set(failed_reasons) <= {"delivery_outcome_unknown"}
    sent_mails = sum(1 for message_id in replies[:MAIL_REPLIES] if states[message_id] is OutboxStatus.SENT)
    assert sent_mails + len(failed_reasons) == MAIL_REPLIES
    assert sent_mails <= len(sink.received) <= MAIL_REPLIES
    assert all(states[message_id] is OutboxStatus.SENT for message_id in replies[MAIL_REPLIES:])


async def _dead_or_idle(worker: Worker, hub: Hub) -> None:
    """Wait for the kill; a worker that ran out of work before its kill came is killed idle."""
    assert worker.process is not None
    while worker.process.returncode is None and not await _settled(hub):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker.process.wait(), 0.1)
    worker.kill()
    await worker.dead()


async def _recover_some(hub: Hub, rng: random.Random) -> None:
    """Between kills, sometimes the sweeps run (leases expired), sometimes the next worker starts on
    whatever the dead one left as it is."""
    if rng.random() < 0.5:
        await _recover(hub)


async def test_a_mail_whose_sender_outlived_its_lease_is_not_sent_again_and_reads_outcome_unknown(
    hub: Hub,
) -> None:
    """The next job cannot tell a dead worker from a stalled one: either way the mail may have left,
    so it fails visibly instead of going out twice; if the stalled send then completes, it is sent."""
    held = asyncio.Event()

    async def stall(_: Received) -> None:
        await held.wait()

    sink = await SmtpSink(on_mail=stall).start()
    first = StepClock()
    try:
        box = await mailbox(
            dataclasses.replace(hub, clock=first), smtp_host="127.0.0.1", smtp_port=sink.port, smtp_tls="none"
        )
        opened = await factories.inbound(dataclasses.replace(hub, clock=first), box.id, text="发票寄出了吗？")
        assert opened.ticket_id is not None
        agent = factories.actor(await factories.user(hub, Role.AGENT))
        reply = await tickets.reply(
            dataclasses.replace(hub, clock=first), agent, opened.ticket_id, tickets.Draft(text="今天寄出。")
        )
        async with hub.uow() as uow:
            outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == reply.id))
        assert outbox_id is not None
        stalled = asyncio.create_task(delivery.deliver(dataclasses.replace(hub, clock=first), outbox_id))
        await sink.wait_for(1)
        later = StepClock(first.now() + delivery.LEASE + timedelta(seconds=1))
        assert await delivery.deliver(dataclasses.replace(hub, clock=later), outbox_id) == "failed"
        stored = await factories.get(hub, Message, reply.id)
        assert stored.meta["delivery_error"]["code"] == "delivery_outcome_unknown"
        held.set()
        assert await stalled == "sent"  # it did arrive after all: now the hub knows
    finally:
        held.set()
        await sink.close()
    assert len(sink.received) == 1
    stored = await factories.get(hub, Message, reply.id)
    assert stored.delivery_status.value == "sent" and "delivery_error" not in stored.meta
