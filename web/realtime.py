"""Live updates: hub events fanned out through Redis pub/sub to every web process's sockets.

Any process (web or worker) publishes with :class:`RedisEventPublisher`; each web process runs one
Litestar ChannelsPlugin subscription and forwards events to the sockets that may see them.
"""

from __future__ import annotations

import msgspec
from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.di import NamedDependency
from redis.asyncio import Redis

from hub import scope
from hub.ports import RealtimeEvent
from web.auth.guards import any_user
from web.auth.identity import CurrentUser


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


def channels_plugin(redis: Redis) -> ChannelsPlugin:
    return ChannelsPlugin(backend=RedisChannelsPubSubBackend(redis=redis), arbitrary_channels_allowed=True)


def subscriptions_for(user: CurrentUser) -> list[str]:
    """Staff hear everything staff may see; a partner hears only its organization (:mod:`hub.scope`)."""
    return scope.event_channels(user.actor)


@websocket("/api/v1/stream", guards=[any_user])
async def event_stream(socket: WebSocket, channels: NamedDependency[ChannelsPlugin]) -> None:
    """JSON events (``ticket.created``, ``message.created`` ...) for the logged-in user's inbox."""
    user: CurrentUser = socket.user
    await socket.accept()
    async with (
        channels.start_subscription(subscriptions_for(user)) as subscriber,
        subscriber.run_in_background(socket.send_text),
    ):
        while True:
            message = await socket.receive_data(mode="text")
            if message == "ping":
                await socket.send_text('{"event": "pong"}')
