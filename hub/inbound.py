"""The one type every channel turns its traffic into."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec


class Sender(msgspec.Struct, frozen=True):
    #: The sender's address on the channel: an e-mail address, ``appid:openid``, a phone number...
    identity: str
    name: str | None = None


class InboundAttachment(msgspec.Struct, frozen=True):
    filename: str
    content_type: str = "application/octet-stream"
    #: The bytes, when the channel has them; replaced by ``sha256`` once stored.
    data: bytes | None = None
    sha256: str | None = None
    size: int | None = None
    content_id: str | None = None


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    channel_id: uuid.UUID
    #: The channel's id for this message (Message-ID, MsgId, ...); the idempotency key.
    external_id: str
    sender: Sender
    text: str = ""
    subject: str | None = None
    html: str | None = None
    type: str = "text"
    attachments: tuple[InboundAttachment, ...] = ()
    #: A conversation key the channel owns (API thread_ref, web-chat conversation id). When given and
    #: unknown, it starts a new ticket: a channel that names its conversations is authoritative.
    thread_ref: str | None = None
    #: The ticket's reply token, when the channel found one (e-mail ``support+<token>@``).
    reply_token: str | None = None
    #: External ids of earlier messages this one answers (e-mail In-Reply-To and References).
    references: tuple[str, ...] = ()
    #: A ticket number the sender quoted (e-mail subject ``[#10042]``). Weaker than the keys above:
    #: anyone can type a number, so it threads only when the sender takes part in that ticket;
    #: otherwise the message opens a new ticket linked to it.
    ticket_number_hint: int | None = None
    #: May the hub join the contact's recent open ticket when nothing explicit matches? Channels
    #: whose messages name their thread when they continue one (e-mail) say no: a new mail without
    #: references is a new conversation, however recent the last one.
    thread_by_recency: bool = True
    sent_at: datetime | None = None
    #: Automatic traffic (auto-replies): kept on the ticket, never reopens it nor counts as the client's.
    is_auto: bool = False
    meta: dict[str, Any] = msgspec.field(default_factory=dict)


class IngestResult(msgspec.Struct, frozen=True):
    ticket_id: uuid.UUID
    message_id: uuid.UUID
    duplicate: bool
    created_ticket: bool = False
