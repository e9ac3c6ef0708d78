"""Where the live parts of a conversation travel: a Redis pub/sub channel per visitor, and the
visitor's presence (an open socket), kept in Redis with a TTL so a crashed process leaves no ghost."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

#: A socket renews its presence this often; a presence not renewed for PRESENCE_TTL is gone.
PRESENCE_RENEW_SECONDS = 25
PRESENCE_TTL = 70


def conversation(channel_id: uuid.UUID, visitor_id: uuid.UUID | str) -> str:
    """The pub/sub channel every frame for this visitor's sockets goes to (any web process)."""
    return f"webchat:{channel_id}:{visitor_id}"


def _presence_key(channel_id: uuid.UUID, visitor_id: uuid.UUID | str) -> str:
    return f"hub:webchat:present:{channel_id}:{visitor_id}"


async def arrived(redis: Redis, channel_id: uuid.UUID, visitor_id: uuid.UUID, socket_id: str) -> None:
    """One socket of the visitor is open (a visitor with two tabs has two)."""
    key = _presence_key(channel_id, visitor_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, socket_id, "1")
        pipe.expire(key, PRESENCE_TTL)
        await pipe.execute()


async def left(redis: Redis, channel_id: uuid.UUID, visitor_id: uuid.UUID, socket_id: str) -> bool:
    """The socket closed; whether the visitor is still on the page in another one."""
    key = _presence_key(channel_id, visitor_id)
    await redis.hdel(key, socket_id)  # type: ignore[misc]
    return bool(await redis.exists(key))


async def present(redis: Redis, channel_id: uuid.UUID, visitor_id: uuid.UUID | str) -> bool:
    return bool(await redis.exists(_presence_key(channel_id, visitor_id)))
