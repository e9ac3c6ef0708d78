"""Stored WeChat pushes processed in batches (the ``process_inbound`` job, ``ingest.process_stored``)
against the same pushes processed in batches of one in arrival order (``ingest.process_raw`` per
payload): the same tickets, messages, events, audit rows, threading by recency,
routing, SLA clocks, reply windows, identities (follows and unfollows), raw rows and realtime
events, with duplicates, media, notices and unsubscribes among them; several workers claiming at
once process every payload exactly once."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from channels.wechat.inbound import EVENT_WINDOW, MESSAGE_WINDOW
from hub.actors import CLI
from hub.domain import ChannelKind, RawStatus, TicketStatus
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.intake.ingest import store
from hub.models import RawInbound, ReplyWindow, Team, User
from hub.tickets import tickets
from tests import factories
from tests.integration.test_ingest_batch import World, _dump, _same, _world

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

APP_ID = "wx-equivalence"


def _text(channel_id: uuid.UUID, n: int, openid: str, text: str) -> InboundMessage:
    return InboundMessage(
        channel_id=channel_id,
        external_id=str(7_000_000 + n),
        sender=Sender(identity=f"{APP_ID}:{openid}"),
        text=text,
        window=MESSAGE_WINDOW,
        meta={"wechat": {"msg_type": "text"}},
    )


def _image(channel_id: uuid.UUID, n: int, openid: str) -> InboundMessage:
    media = {"media_id": f"media-{n}", "pic_url": f"http://mmbiz.example/{n}"}
    return InboundMessage(
        channel_id=channel_id,
        external_id=str(7_000_000 + n),
        sender=Sender(identity=f"{APP_ID}:{openid}"),
        type="image",
        window=MESSAGE_WINDOW,
        meta={
            "wechat": {"msg_type": "image", **media},
            "media": {"state": "pending", "media_id": media["media_id"], "kind": "image"},
        },
    )


def _event(channel_id: uuid.UUID, n: int, openid: str, event: str) -> InboundMessage:
    status = {"subscribe": "joined", "unsubscribe": "left"}.get(event)
    return InboundMessage(
        channel_id=channel_id,
        external_id=f"event:{openid}:{1_700_000_000 + n}:{event}",
        sender=Sender(identity=f"{APP_ID}:{openid}"),
        type="event",
        is_auto=True,
        opens_ticket=False,
        window=EVENT_WINDOW if event in ("subscribe", "click") else None,
        sender_status=status,
        meta={"wechat": {"event": event}},
    )


async def _wechat(world: World) -> uuid.UUID:
    async with world.hub.uow() as uow:
        team_id = await uow.session.scalar(sa.select(Team.id).where(Team.name == "Support"))
    channel_id = uuid.UUID(int=77)
    config = {
        "app_id": APP_ID, "token": "equivalence-token",
        "secret_env": "HUB_TEST_WECHAT_SECRET", "api_base": "http://127.0.0.1:9",
    }  # fmt: skip
    await channel_instances.add_channel(
        world.hub,
        CLI,
        kind=ChannelKind.WECHAT,
        name="Official Account",
        config=config,
        channel_id=channel_id,
        team_id=team_id,
    )
    return channel_id


def _rounds(channel_id: uuid.UUID) -> list[list[InboundMessage]]:
    """Pushes as they arrive, in rounds the clock moves between."""
    c = channel_id
    return [
        [
            _text(c, 1, "oAnna", "你好，订单什么时候发货？"),
            _text(c, 2, "oAnna", "订单号 A-1"),  # joins the ticket the first one opened in this batch
            _text(c, 2, "oAnna", "订单号 A-1"),  # WeChat's retry: stored once
            _event(c, 3, "oBo", "subscribe"),  # a follow from someone with no ticket: none opened
            _text(c, 4, "oBo", "在吗"),
            _image(c, 5, "oChen"),
            _event(c, 6, "oAnna", "click"),  # a notice: joins Anna's ticket without waking it
            _text(c, 7, "oDing", "退货"),
            _event(c, 8, "oDing", "unsubscribe"),
            _text(c, 9, "oBo", "还在吗"),
        ],
        [
            _text(c, 10, "oAnna", "两小时后"),  # recency from the database
            _text(c, 11, "oChen", "收到了吗"),  # the ticket was set pending: woken
            _text(c, 12, "oBo", "解决了吗"),  # the ticket was resolved: a new one
            _text(c, 1, "oAnna", "你好，订单什么时候发货？"),  # a replay of a processed push
            _event(c, 13, "oDing", "subscribe"),
            _text(c, 14, "oDing", "又来了"),
        ],
        [
            _text(c, 15, "oAnna", "过了一天"),  # past the thread window: a new ticket
            _text(c, 16, "oEve", "新客户"),
            _event(c, 17, "oEve", "click"),
            _text(c, 18, "oEve", "补充"),
            _event(c, 19, "oEve", "unsubscribe"),
        ],
    ]


async def _between(world: World, round_number: int) -> None:
    """What agents do between rounds, identical in both runs."""
    if round_number == 0:
        world.clock.advance(hours=2)
        return
    world.clock.advance(hours=world.hub.settings.thread_window_hours + 1)


async def _agents(world: World) -> None:
    """After the first round: Chen's ticket waits on the client, Bo's is resolved."""
    async with world.hub.uow() as uow:
        supervisor = await uow.session.scalar(sa.select(User).where(User.email == "lead@hub.example"))
        rows = await uow.session.execute(
            sa.select(RawInbound.external_id, RawInbound.ticket_id).where(
                RawInbound.external_id.in_(["7000005", "7000004"])
            )
        )
        by_push = {external_id: ticket_id for external_id, ticket_id in rows}
    assert supervisor is not None
    actor = factories.actor(supervisor)
    await tickets.set_status(world.hub, actor, by_push["7000005"], TicketStatus.PENDING)
    await tickets.set_status(world.hub, actor, by_push["7000004"], TicketStatus.RESOLVED)


async def _run(hub: Any, batched: bool, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    world = await _world(hub)
    channel_id = await _wechat(world)
    outcomes: list[Any] = []
    for number, pushes in enumerate(_rounds(channel_id)):
        stored = []
        for message in pushes:
            world.clock.advance(seconds=1)  # arrival order is received_at order
            stored.append(await store(world.hub, message))
        fresh = [s.raw_id for s in stored if s.new]
        if batched:
            with caplog.at_level(logging.WARNING, logger="hub.intake.ingest"):
                batch = await ingest.process_stored(world.hub, stored[0].raw_id)
            assert not [r for r in caplog.records if "one by one" in r.getMessage()], "the batch fell back"
            assert [raw_id for raw_id, _, _ in batch.items] == fresh
            results = {raw_id: outcome for raw_id, _, outcome in batch.items}
        else:
            results = {raw_id: await ingest.process_raw(world.hub, raw_id) for raw_id in fresh}
        for item in stored:
            outcome = results.get(item.raw_id)
            assert outcome is None or isinstance(outcome, IngestResult)
            outcomes.append(None if outcome is None else (outcome.created_ticket, outcome.ticket_id is None))
        if number == 0:
            await _agents(world)
        await _between(world, number)
    dump = await _dump(world, outcomes)
    # The channel's sealed token (in its creation's audit row) is encrypted with a random nonce.
    dump = json.loads(re.sub(r"sealed:v1:[A-Za-z0-9_-]+", "sealed", json.dumps(dump, ensure_ascii=False)))
    async with world.hub.uow() as uow:
        windows = await uow.session.execute(
            sa.select(
                ReplyWindow.identity_id,
                ReplyWindow.opened_at,
                ReplyWindow.expires_at,
                ReplyWindow.replies_allowed,
                ReplyWindow.replies_used,
            )
        )
        identities = {
            i: v
            for i, v in await uow.session.execute(
                sa.text("SELECT id, value FROM contact_identities WHERE kind = 'wechat'")
            )
        }
        dump["windows"] = sorted(
            (identities[i], str(opened), str(expires), allowed, used)
            for i, opened, expires, allowed, used in windows
        )
        left = await uow.session.execute(
            sa.text("SELECT value, left_at FROM contact_identities WHERE kind = 'wechat' ORDER BY value")
        )
        dump["left"] = [(v, str(at)) for v, at in left]
        pending = await uow.session.scalar(
            sa.select(sa.func.count()).where(RawInbound.status != RawStatus.PROCESSED)
        )
    assert pending == 0
    return dump


async def test_stored_wechat_pushes_batched_write_exactly_what_one_by_one_writes(hub, caplog) -> None:
    expected = await _run(hub, False, caplog)
    got = await _run(hub, True, caplog)
    # The scenario exercises what it claims to.
    created = [o for o in expected["outcomes"] if o is not None]
    assert sum(1 for c, _ in created if c) >= 6 and sum(1 for c, _ in created if not c) >= 6
    assert any(none for _, none in created), "a notice from someone with no ticket"
    assert expected["windows"] and any(at != "None" for _, at in expected["left"])
    _same(got, expected)


async def test_workers_claiming_at_once_process_every_push_once(hub) -> None:
    """Several jobs at the same time (several workers) split the stored pushes with SKIP LOCKED."""
    world = await _world(hub)
    channel_id = await _wechat(world)
    stored = []
    for n in range(120):
        world.clock.advance(seconds=1)
        stored.append(await store(world.hub, _text(channel_id, n, f"oUser{n % 17}", f"消息 {n}")))
    batches = await asyncio.gather(*(ingest.process_stored(world.hub, s.raw_id) for s in stored[:8]))
    processed = [raw_id for batch in batches for raw_id, _, _ in batch.items]
    assert sorted(processed) == sorted(s.raw_id for s in stored)
    async with world.hub.uow() as uow:
        statuses = list(await uow.session.scalars(sa.select(RawInbound.status)))
        messages = await uow.session.scalar(
            sa.text("SELECT count(*) FROM messages WHERE channel_id = :c"), {"c": channel_id}
        )
        tickets_per_sender = await uow.session.scalar(
            sa.text(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM tickets WHERE channel_id = :c "
                "GROUP BY contact_id) AS per_sender"
            ),
            {"c": channel_id},
        )
    assert statuses.count(RawStatus.PROCESSED) == len(statuses) and messages == 120
    assert tickets_per_sender == 1, "concurrent batches threaded each sender onto one ticket"
