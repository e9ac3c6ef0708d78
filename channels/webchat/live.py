"""Where the live parts of a conversation travel: a Redis pub/sub channel per visitor, and the
visitor's presence (an open socket), kept in Redis with a TTL so a crashed process leaves no ghost."""

from __future__ import annotations

import asyncio
import logging
import uuid

from redis.asyncio import Redis

log = logging.getLogger(__name__)

#: Each process renews the presence of the visitors whose sockets it holds this often, all in one
#: pipeline; a presence not renewed for PRESENCE_TTL is gone (its process died).
PRESENCE_RENEW_SECONDS = 25
PRESENCE_TTL = 70
#: Visitors renewed per pipeline.
RENEW_SLICE = 200


def conversation(channel_id: uuid.UUID, visitor_id: uuid.UUID | str) -> str:
    """The pub/sub channel every frame for this visitor's sockets goes to (any web process)."""
    return f"webchat:{channel_id}:{visitor_id}"


def _presence_key(channel_id: uuid.UUID, visitor_id: uuid.UUID | str) -> str:
    return f"hub:webchat:present:{channel_id}:{visitor_id}"


class Presence:
    """The visitors on the page through this process's sockets (a visitor with two tabs has two).

    One Redis hash per visitor (its sockets, any process's) with a TTL. The sockets of a process are
    renewed together by one task, in one pipeline every :data:`PRESENCE_RENEW_SECONDS`: per-socket
    timers cost a Redis round trip and a wake-up each, which with thousands of idle sockets was
    most of the process's CPU.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.here: dict[str, set[str]] = {}
        self._renewing: asyncio.Task[None] | None = None

    async def arrived(self, channel_id: uuid.UUID, visitor_id: uuid.UUID, socket_id: str) -> None:
        key = _presence_key(channel_id, visitor_id)
        self.here.setdefault(key, set()).add(socket_id)
        await self._write({key: {socket_id}})
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.get_running_loop().create_task(self._renew(), name="webchat-presence")

    async def left(self, channel_id: uuid.UUID, visitor_id: uuid.UUID, socket_id: str) -> bool:
        """The socket closed; whether the visitor is still on the page in another one."""
        key = _presence_key(channel_id, visitor_id)
        sockets = self.here.get(key, set())
        sockets.discard(socket_id)
        if not sockets:
            self.here.pop(key, None)
        await self.redis.hdel(key, socket_id)  # type: ignore[misc]
        return bool(await self.redis.exists(key))

    async def _write(self, entries: dict[str, set[str]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, sockets in entries.items():
                pipe.hset(key, mapping=dict.fromkeys(sockets, "1"))
                pipe.expire(key, PRESENCE_TTL)
            await pipe.execute()

    async def _renew(self) -> None:
        while self.here:
            await asyncio.sleep(PRESENCE_RENEW_SECONDS)
            entries = [(key, set(sockets)) for key, sockets in self.here.items() if sockets]
            try:
                # In slices: one pipeline of 5,000 visitors held the event loop long enough to
                # show in the replies' latency; between slices, the process serves the others.
                for start in range(0, len(entries), RENEW_SLICE):
                    await self._write(dict(entries[start : start + RENEW_SLICE]))
            except Exception:  # Redis away for a moment: the next round renews them
                log.warning("renewing web-chat presence failed", exc_info=True)


async def present(redis: Redis, channel_id: uuid.UUID, visitor_id: uuid.UUID | str) -> bool:
    return bool(await redis.exists(_presence_key(channel_id, visitor_id)))
