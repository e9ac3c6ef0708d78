"""Which sender delivers replies for each channel kind. Channels register here as they land."""

from __future__ import annotations

import httpx

from channels.api.sender import WebhookSender
from channels.email.sender import SmtpSender
from hub.config import Settings
from hub.ports import AttachmentStore, ChannelSender


class ChannelSenders:
    """:class:`hub.ports.SenderRegistry` for the channels this build ships."""

    def __init__(self, *, settings: Settings, http: httpx.AsyncClient, storage: AttachmentStore) -> None:
        self._senders: dict[str, ChannelSender] = {
            "api": WebhookSender(http=http, master_key=settings.secret_key, storage=storage),
            "email": SmtpSender(storage=storage),
        }

    def sender_for(self, channel_kind: str) -> ChannelSender | None:
        return self._senders.get(channel_kind)
