"""Typing, both ways: the visitor's reaches the agent's ticket page over the inbox stream, the
agent's reaches the visitor's sockets. Throttled: a "still typing" every keystroke would be a
message per keystroke to every watcher."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import msgspec

from channels.webchat import live, visitors
from hub.core import Hub
from hub.ports import RealtimeEvent
from hub.realtime import for_ticket

if TYPE_CHECKING:
    from channels.webchat.connection import WebchatConnection

#: At most one "typing" a visitor (or an agent on a ticket) per this many seconds; a "stopped"
#: always goes through.
THROTTLE_SECONDS = 2


async def _first_in_a_while(connection: WebchatConnection, key: str) -> bool:
    return bool(await connection.redis.set(f"hub:webchat:typing:{key}", "1", nx=True, ex=THROTTLE_SECONDS))


async def visitor_typing(
    connection: WebchatConnection, hub: Hub, channel_id: uuid.UUID, visitor_id: uuid.UUID, typing: bool
) -> None:
    if typing and not await _first_in_a_while(connection, f"visitor:{visitor_id}"):
        return
    if not typing:
        await connection.redis.delete(f"hub:webchat:typing:visitor:{visitor_id}")
    async with hub.session_factory() as session:
        ticket = await visitors.current_ticket(session, channel_id, visitor_id)
    if ticket is None:
        return
    channels = for_ticket(team_id=ticket.team_id, assignee_id=ticket.assignee_id, organization_id=None)
    await hub.publisher.publish(
        [
            RealtimeEvent(
                name="ticket.typing",
                channels=tuple(channels),
                data={"ticket_id": str(ticket.id), "typing": typing, "who": "visitor"},
            )
        ]
    )


async def agent_typing(
    connection: WebchatConnection, hub: Hub, ticket_id: uuid.UUID, typing: bool, name: str
) -> None:
    if typing and not await _first_in_a_while(connection, f"agent:{ticket_id}"):
        return
    if not typing:
        await connection.redis.delete(f"hub:webchat:typing:agent:{ticket_id}")
    async with hub.session_factory() as session:
        found = await visitors.visitor_of_ticket(session, ticket_id)
    if found is None:
        return
    channel_id, visitor_id = found
    frame: dict[str, object] = {"event": "typing", "typing": typing}
    if name:
        frame["name"] = name
    await connection.redis.publish(live.conversation(channel_id, visitor_id), msgspec.json.encode(frame))
