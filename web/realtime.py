"""Live updates: hub events fanned out through Redis pub/sub to every web process's sockets.

Any process (web or worker) publishes with :class:`web.publisher.RedisEventPublisher`; each web
process runs one Litestar ChannelsPlugin subscription and forwards events to the sockets that may
see them.
"""

from __future__ import annotations

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.di import NamedDependency
from redis.asyncio import Redis

from hub import realtime, scope
from web.auth.guards import any_user
from web.auth.identity import CurrentUser


class PubSubBackend(RedisChannelsPubSubBackend):
    """Litestar's Redis pub/sub backend, its connection opened at start-up rather than by the first
    subscription.

    redis-py's ``PubSub`` connects on its first command, and first commands that overlap each open a
    connection and keep the last one: the channels subscribed over the others are never heard. A
    burst of sockets after a start (every widget reconnecting after a restart) lost its visitors'
    replies that way, silently, until the process restarted (found by ``bench/mixed_load.py``).
    """

    async def on_startup(self) -> None:
        await self._pub_sub.connect()


def channels_plugin(redis: Redis) -> ChannelsPlugin:
    return ChannelsPlugin(backend=PubSubBackend(redis=redis), arbitrary_channels_allowed=True)


def subscriptions_for(user: CurrentUser) -> list[str]:
    """Staff hear everything staff may see; a partner hears only its organization (:mod:`hub.scope`);
    everyone hears their own notifications."""
    return [*scope.event_channels(user.actor), realtime.person(user.id)]


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
