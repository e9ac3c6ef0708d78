"""What a channel sender receives, and what it answers."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec


class OutboundAttachment(msgspec.Struct, frozen=True):
    filename: str
    content_type: str
    sha256: str
    size: int


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    outbox_id: uuid.UUID
    message_id: uuid.UUID
    ticket_id: uuid.UUID
    ticket_number: int
    channel_id: uuid.UUID
    channel_kind: str
    channel_config: dict[str, Any]
    #: The contact's identities on this channel kind, most recent first.
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[OutboundAttachment, ...] = ()
    reply_token: str
    author_name: str | None = None
    #: External ids of the conversation's inbound messages, newest last (e-mail References).
    references: tuple[str, ...] = ()
    thread_ref: str | None = None
    #: Sent by the hub itself (an acknowledgement), not by a person: channels mark it so on the
    #: wire (e-mail ``Auto-Submitted: auto-replied``, null envelope sender) so robots do not answer.
    is_auto: bool = False
    #: Send as the channel's approved template (``channel_config["template_id"]``): the way to reach
    #: a contact whose reply window is closed.
    template: bool = False
    #: A satisfaction survey (``{"survey_id", "url"}``): web chat draws its rating faces for it, a
    #: WeChat template message links to its page.
    csat: dict[str, Any] | None = None
    #: A page the message opens (a portal link): a WeChat template message links to it.
    link: str | None = None


class DeliveryResult(msgspec.Struct, frozen=True):
    #: The channel's id for the sent message, when it gives one.
    external_id: str | None = None
