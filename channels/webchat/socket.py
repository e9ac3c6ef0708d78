"""A visitor's WebSocket: push (messages, typing, read marks) and the visitor's presence.

The socket subscribes to nothing until its first frame proves who it is (``auth`` with the
visitor's token, within :data:`AUTH_SECONDS`); a refused origin never gets the socket at all.
Once subscribed it sends what the visitor missed after their last seen message (``ready``), so a
reconnect loses nothing: subscribing first and reading the history second can only repeat a
message, which the widget drops by its id, never skip one.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING, Any

import msgspec

from channels.spec import ChannelSocket, SocketClosed
from channels.webchat import availability, live, tokens, visitors
from hub.core import Hub
from hub.errors import NotFound

if TYPE_CHECKING:
    from channels.webchat.connection import WebchatConnection

AUTH_SECONDS = 10.0
#: Close codes: no valid ``auth`` in time (or a bad token), and a refused origin (before accept).
UNAUTHORISED, FORBIDDEN = 4401, 4403


class Frame(msgspec.Struct, forbid_unknown_fields=False):
    type: str = ""
    token: str | None = None
    after: str | None = None
    typing: bool = False
    message_id: str | None = None


_decode = msgspec.json.Decoder(Frame)


def _frame(text: str) -> Frame | None:
    try:
        return _decode.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


async def visitor_socket(connection: WebchatConnection, hub: Hub, socket: ChannelSocket) -> None:
    try:
        channel = await connection.channel(hub, socket.channel_id)
    except NotFound:
        await socket.close(FORBIDDEN)
        return
    if socket.headers.get("origin", "") not in channel.settings.origins:
        await socket.close(FORBIDDEN)
        return
    await socket.accept()
    try:
        async with asyncio.timeout(AUTH_SECONDS):
            first = _frame(await socket.receive_text())
    except TimeoutError:
        await socket.close(UNAUTHORISED)
        return
    visitor_id = (
        tokens.read(connection.master_key, channel.id, first.token)
        if first and first.type == "auth"
        else None
    )
    if first is None or visitor_id is None:
        await socket.close(UNAUTHORISED)
        return
    after = _uuid(first.after)
    await _serve(connection, hub, socket, channel.id, visitor_id, after)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def _serve(
    connection: WebchatConnection,
    hub: Hub,
    socket: ChannelSocket,
    channel_id: uuid.UUID,
    visitor_id: uuid.UUID,
    after: uuid.UUID | None,
) -> None:
    from channels.webchat.endpoints import read_mark
    from channels.webchat.typing import visitor_typing

    socket_id = uuid.uuid4().hex
    presence = connection.presence
    assert presence is not None
    watchers: tuple[str, list[str]] | None = None

    async def forward(payload: bytes) -> None:
        await socket.send_text(payload.decode())
        if payload.startswith(b'{"event":"message"'):
            await _delivered(payload)

    async def _delivered(payload: bytes) -> None:
        """An agent's message reached the visitor's browser: mark it delivered (best effort)."""
        try:
            message = msgspec.json.decode(payload)["message"]
            if message.get("direction") == "out" and message.get("status") == "sent":
                await _mark_delivered(connection, hub, channel_id, visitor_id, uuid.UUID(message["id"]))
        except Exception:  # a mark lost is a mark shown later; the socket must go on
            import logging

            logging.getLogger(__name__).exception("marking a web-chat message delivered")

    async with socket.subscribe([live.conversation(channel_id, visitor_id)], forward):
        await presence.arrived(channel_id, visitor_id, socket_id)
        try:
            missed = await visitors.transcript(
                hub, connection.master_key, channel_id, visitor_id, after=after
            )
            await socket.send_text(msgspec.json.encode({"event": "ready", "messages": missed}).decode())
            online = await connection.online(hub, await connection.channel(hub, channel_id))
            await socket.send_text(availability.frame(online))
            connection.availability.watch(
                lambda watched: connection.online_now(hub, watched),
                channel_id,
                socket_id,
                socket.send_text,
                online,
            )
            watchers = await _watchers(hub, channel_id, visitor_id)
            await _announce_presence(connection, hub, channel_id, visitor_id, watchers)
            while True:
                frame = _frame(await socket.receive_text())
                if frame is None:
                    continue
                if frame.type == "ping":
                    await socket.send_text('{"event":"pong"}')
                elif frame.type == "typing":
                    await visitor_typing(connection, hub, channel_id, visitor_id, frame.typing)
                elif frame.type == "read" and (message_id := _uuid(frame.message_id)) is not None:
                    await read_mark(connection, hub, channel_id, visitor_id, message_id, "read")
        except SocketClosed:
            pass
        finally:
            # Redis only (the ticket's watchers were found on arrival): a socket may close while
            # the process shuts down.
            connection.availability.unwatch(channel_id, socket_id)
            with contextlib.suppress(Exception):
                await presence.left(channel_id, visitor_id, socket_id)
                await _announce_presence(connection, hub, channel_id, visitor_id, watchers)


async def _watchers(hub: Hub, channel_id: uuid.UUID, visitor_id: uuid.UUID) -> tuple[str, list[str]] | None:
    """The visitor's current ticket and who watches it, for the presence updates."""
    from hub.realtime import for_ticket

    async with hub.session_factory() as session:
        ticket = await visitors.current_ticket(session, channel_id, visitor_id)
    if ticket is None:
        return None
    return str(ticket.id), for_ticket(
        team_id=ticket.team_id, assignee_id=ticket.assignee_id, organization_id=None
    )


async def _announce_presence(
    connection: WebchatConnection,
    hub: Hub,
    channel_id: uuid.UUID,
    visitor_id: uuid.UUID,
    watchers: tuple[str, list[str]] | None,
) -> None:
    """The agent's ticket page shows whether the visitor is on the page: tell it to look again."""
    from hub.ports import RealtimeEvent

    if watchers is None:
        return
    ticket_id, channels = watchers
    here = await live.present(connection.redis, channel_id, visitor_id)
    await hub.publisher.publish(
        [
            RealtimeEvent(
                name="ticket.visitor", channels=tuple(channels), data={"ticket_id": ticket_id, "here": here}
            )
        ]
    )


async def _mark_delivered(
    connection: WebchatConnection,
    hub: Hub,
    channel_id: uuid.UUID,
    visitor_id: uuid.UUID,
    message_id: uuid.UUID,
) -> None:
    """The visitor's other tabs and the agent's ticket page hear that the message arrived."""
    from hub.ports import RealtimeEvent
    from hub.realtime import for_ticket

    moved = await visitors.mark_delivered(hub, message_id)
    if moved is None:
        return
    ticket_id, team_id, assignee_id = moved
    frame = msgspec.json.encode({"event": "status", "id": str(message_id), "status": "delivered"})
    await connection.redis.publish(live.conversation(channel_id, visitor_id), frame)
    await hub.publisher.publish(
        [
            RealtimeEvent(
                name="message.updated",
                channels=tuple(for_ticket(team_id=team_id, assignee_id=assignee_id, organization_id=None)),
                data={
                    "ticket_id": str(ticket_id),
                    "message_id": str(message_id),
                    "webchat_status": "delivered",
                },
            )
        ]
    )
