"""Live inbox updates over the WebSocket stream, fanned out through Redis."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
from litestar.exceptions import WebSocketDisconnect

from hub.domain import ChannelKind, OrganizationKind, Role
from tests import factories

pytestmark = pytest.mark.anyio


async def _login(client, email: str) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 200


def _subscribed(socket) -> None:
    """The server answers a ping only once its subscriptions are in place."""
    socket.send_text("ping")
    assert json.loads(socket.receive_text(timeout=10)) == {"event": "pong"}


def _next_event(socket, name: str, ticket_id: str | None = None) -> dict:
    """Events of other kinds may come first (e.g. ticket.assigned), and so may other test workers'
    on a shared Redis server (pub/sub ignores the database number): skip them, bounded.
    The test session's receive blocks this thread; the app runs on its own loop meanwhile."""
    deadline = time.monotonic() + 10
    while (left := deadline - time.monotonic()) > 0:
        event = json.loads(socket.receive_text(timeout=left))
        if event["event"] == name and ticket_id in (None, event.get("ticket_id")):
            return event
    raise AssertionError(f"no {name} event")


async def test_staff_hear_new_tickets_from_any_process(client, hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    chan = await factories.api_channel(hub)
    await _login(client, agent.email)
    with await client.websocket_connect("/api/v1/stream") as socket:
        _subscribed(socket)
        # Published by this (test) process's hub, as a worker would: it reaches the web process.
        result = await factories.inbound(hub, chan.channel.id, text="新的询价")
        event = _next_event(socket, "ticket.created", str(result.ticket_id))
    assert event["ticket_id"] == str(result.ticket_id)
    assert event["subject"] == "新的询价"


async def test_partners_hear_only_their_organization(client, hub) -> None:
    mine = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["mine.example"])
    await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["other.example"])
    partner = await factories.user(hub, Role.PARTNER, organization_id=mine.id)
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    await _login(client, partner.email)
    with await client.websocket_connect("/api/v1/stream") as socket:
        _subscribed(socket)
        await factories.inbound(hub, chan.id, sender="x@other.example", text="not for you")
        mine_result = await factories.inbound(hub, chan.id, sender="y@mine.example", text="for you")
        event = _next_event(socket, "ticket.created")
    assert event["ticket_id"] == str(mine_result.ticket_id), "the other organization's ticket never arrives"


async def test_the_stream_requires_a_login(client) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        await client.websocket_connect("/api/v1/stream") as socket,
    ):
        socket.receive_text(timeout=5)
    assert refused.value.code == 4401


async def test_sockets_that_subscribe_at_once_after_start_up_all_hear_their_channel(runtime) -> None:
    """A burst of first subscriptions (every widget reconnecting after a restart) must not race
    redis-py into several pub/sub connections, of which only one is read."""
    from web.realtime import PubSubBackend

    backend = PubSubBackend(redis=runtime.redis)
    await backend.on_startup()
    try:
        names = [f"burst-{uuid.uuid4()}" for _ in range(30)]
        await asyncio.gather(*(backend.subscribe([name]) for name in names))
        for name in names:
            await backend.publish(name.encode(), [name])
        heard: set[str] = set()
        events = backend.stream_events()
        async with asyncio.timeout(10):
            while heard != set(names):
                channel, data = await anext(events)
                assert data == channel.encode()
                heard.add(channel)
    finally:
        await backend.on_shutdown()
