"""Which sender delivers replies for each channel kind, and what follows a processed push.

Channels register here as they land.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from channels.api.sender import WebhookSender
from channels.email.sender import SmtpSender
from channels.wechat import jobs as wechat_jobs
from channels.wechat.api import WeChatApi
from channels.wechat.sender import WeChatSender
from hub.config import Settings
from hub.core import Hub
from hub.inbound import InboundMessage, IngestResult
from hub.ports import AttachmentStore, ChannelSender, JobRequest

#: Given a batch of freshly processed pushes of one channel kind, the jobs they need.
FollowUps = Callable[[Hub, list[tuple[InboundMessage, IngestResult]]], Awaitable[list[JobRequest]]]


class ChannelSenders:
    """:class:`hub.ports.SenderRegistry` for the channels this build ships."""

    def __init__(
        self,
        *,
        settings: Settings,
        http: httpx.AsyncClient,
        storage: AttachmentStore,
        wechat: WeChatApi | None = None,
    ) -> None:
        self._senders: dict[str, ChannelSender] = {
            "api": WebhookSender(http=http, master_key=settings.secret_key, storage=storage),
            "email": SmtpSender(storage=storage),
        }
        if wechat is not None:
            self._senders["wechat"] = WeChatSender(
                api=wechat, storage=storage, master_key=settings.secret_key
            )

    def sender_for(self, channel_kind: str) -> ChannelSender | None:
        return self._senders.get(channel_kind)


#: Jobs a channel wants once one of its pushes is processed (WeChat: media and profile fetches).
FOLLOW_UPS: dict[str, FollowUps] = {"wechat": wechat_jobs.follow_ups}


async def channel_follow_ups(
    hub: Hub, channel_kind: str, processed: list[tuple[InboundMessage, IngestResult]]
) -> list[JobRequest]:
    """:class:`hub.ports.ChannelFollowUps` for the channels this build ships."""
    follow_ups = FOLLOW_UPS.get(channel_kind)
    return await follow_ups(hub, processed) if follow_ups is not None else []
