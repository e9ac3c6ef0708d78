"""Which sender delivers replies for each channel kind, and what follows a processed push.

Channels register here as they land.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

import httpx

from channels.api.sender import WebhookSender
from channels.email.sender import SmtpSender
from channels.wechat import jobs as wechat_jobs
from channels.wechat.api import WeChatApi
from channels.wechat.sender import WeChatSender
from hub.config import Settings
from hub.core import Hub
from hub.events import EventBus
from hub.events.inbound import MessageIngested
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


async def queue_follow_ups(hub: Hub, ingested: Sequence[MessageIngested]) -> None:
    """Subscribed to :class:`~hub.events.inbound.MessageIngested` after commit: the jobs each
    channel kind wants for its freshly processed messages, queued together. Best effort, like every
    after-commit subscriber: the messages are committed, and a lost follow-up only leaves media to
    fetch again or a profile to refresh on the sender's next message."""
    by_kind: dict[str, list[tuple[InboundMessage, IngestResult]]] = defaultdict(list)
    for event in ingested:
        if event.channel_kind in FOLLOW_UPS:
            by_kind[event.channel_kind].append((event.message, event.result))
    jobs: list[JobRequest] = []
    for kind, processed in by_kind.items():
        jobs += await FOLLOW_UPS[kind](hub, processed)
    if jobs:
        await hub.jobs.enqueue(jobs)


def subscribe(bus: EventBus) -> None:
    """What the channels this build ships do when the hub's events happen."""
    bus.after_commit(MessageIngested, queue_follow_ups)
