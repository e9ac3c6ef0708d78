"""WeChat channel settings for the callback endpoint, cached for a few seconds per process.

Every push needs the channel's token (and AES key) before anything else; reading and unsealing
them once per channel every few seconds, instead of on every push, keeps a query off the
5-second path. A channel disabled or changed is noticed within :data:`TTL_SECONDS`.
"""

from __future__ import annotations

import time
import uuid

from channels.wechat.config import ConfigProblem, WeChatConfig
from hub.core import Hub
from hub.domain import ChannelKind
from hub.intake import channel_instances

TTL_SECONDS = 10.0


class ChannelUnavailable(Exception):
    """No such WeChat channel (404), or it is disabled or misconfigured (403)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class WeChatAccounts:
    def __init__(self) -> None:
        self._cache: dict[uuid.UUID, tuple[float, WeChatConfig | ChannelUnavailable]] = {}

    async def get(self, hub: Hub, channel_id: uuid.UUID) -> WeChatConfig:
        cached = self._cache.get(channel_id)
        if cached is None or time.monotonic() - cached[0] > TTL_SECONDS:
            cached = (time.monotonic(), await self._load(hub, channel_id))
            self._cache[channel_id] = cached
        value = cached[1]
        if isinstance(value, ChannelUnavailable):
            raise value
        return value

    async def _load(self, hub: Hub, channel_id: uuid.UUID) -> WeChatConfig | ChannelUnavailable:
        channel = await channel_instances.get_channel(hub, channel_id)
        if channel is None or channel.kind is not ChannelKind.WECHAT:
            return ChannelUnavailable(404, "no such WeChat channel")
        if not channel.is_active:
            return ChannelUnavailable(403, "the channel is disabled")
        try:
            return WeChatConfig.load(hub.settings.secret_key, channel.id, channel.config)
        except ConfigProblem as exc:
            return ChannelUnavailable(403, f"the channel is misconfigured: {exc}")
