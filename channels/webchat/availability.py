"""Telling open widgets when their channel goes online or offline while the visitor is on the page.

A widget learns whether someone is there when it connects; without this it would keep saying
"we're online" after the last agent went away or business hours ended, and the visitor would wait
for an answer that comes by e-mail the next day. Availability depends on the clock (business
hours) as well as on people (presence), so it is looked at again on a timer rather than on events:
one check per channel per process every :data:`CHECK_SECONDS`, however many sockets are open, and
a frame only to the sockets whose last-told state differs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec

log = logging.getLogger(__name__)

#: How soon an open widget hears that its channel went online or offline.
CHECK_SECONDS = 5.0

Send = Callable[[str], Awaitable[None]]
Check = Callable[[uuid.UUID], Awaitable[bool]]


@dataclass
class _Listener:
    send: Send
    told: bool


def frame(online: bool) -> str:
    return msgspec.json.encode({"event": "online", "online": online}).decode()


class Availability:
    """The sockets of this process per channel, and what each was last told."""

    def __init__(self) -> None:
        self.listeners: dict[uuid.UUID, dict[str, _Listener]] = {}
        self._checking: asyncio.Task[None] | None = None

    def watch(self, check: Check, channel_id: uuid.UUID, socket_id: str, send: Send, told: bool) -> None:
        """Follow ``channel_id`` for this socket, which was just told ``told``."""
        self.listeners.setdefault(channel_id, {})[socket_id] = _Listener(send, told)
        if self._checking is None or self._checking.done():
            self._checking = asyncio.get_running_loop().create_task(
                self._check_while_watched(check), name="webchat-availability"
            )

    def unwatch(self, channel_id: uuid.UUID, socket_id: str) -> None:
        sockets = self.listeners.get(channel_id)
        if sockets is None:
            return
        sockets.pop(socket_id, None)
        if not sockets:
            del self.listeners[channel_id]

    async def _check_while_watched(self, check: Check) -> None:
        while self.listeners:
            await asyncio.sleep(CHECK_SECONDS)
            for channel_id in list(self.listeners):
                try:
                    online = await check(channel_id)
                except Exception:  # the database away for a moment: the next round looks again
                    log.warning("checking a web-chat channel's availability failed", exc_info=True)
                    continue
                await self._tell(channel_id, online)

    async def _tell(self, channel_id: uuid.UUID, online: bool) -> None:
        stale = [
            listener
            for listener in self.listeners.get(channel_id, {}).values()
            if listener.told is not online
        ]
        if not stale:
            return
        text = frame(online)
        for listener in stale:
            listener.told = online
        # A closed socket fails its send; its handler unwatches it on the way out.
        await asyncio.gather(*(listener.send(text) for listener in stale), return_exceptions=True)
