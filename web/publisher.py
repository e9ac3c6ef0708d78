"""Publishing hub events to the Redis pub/sub channels that :mod:`web.realtime` fans out to sockets.

Kept apart from the web app's subscription, so that a worker or a ``hub`` command, which only
publish, do not load the web framework.
"""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from hub.ports import RealtimeEvent


class RedisEventPublisher:
    """:class:`hub.ports.EventPublisher` writing to the Redis pub/sub channels the plugin subscribes to.

    A commit's events go out in one pipeline, in order: a bulk import publishes thousands per
    batch, and one round trip each (the backend's own ``publish``) cost more than the batch's
    database writes. The plugin's Redis backend publishes plain ``PUBLISH channel data``; so does this.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def publish(self, events: list[RealtimeEvent]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for event in events:
                payload = msgspec.json.encode({"event": event.name, **event.data})
                for channel in dict.fromkeys(event.channels):
                    pipe.publish(channel, payload)
            await pipe.execute()
