"""The API channel's inbound endpoint: an integration posts its users' messages here.

Authenticated by the channel's own token (``Authorization: Bearer hub_ch_...``), checked before
the body is read: a caller without the token can neither make us parse a large payload nor learn
the body's shape from validation errors. Idempotent on ``external_id``: retrying a post returns
the first result with ``duplicate: true``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from channels.spec import Connection, WebhookRequest, WebhookResponse
from hub.core import Hub
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundAttachment, InboundMessage, Sender
from hub.tickets.tickets import decode_attachment


class SenderIn(msgspec.Struct):
    identity: str
    name: str | None = None


class AttachmentIn(msgspec.Struct):
    filename: str
    data_base64: str
    content_type: str | None = None


class ChannelMessageIn(msgspec.Struct):
    external_id: str
    sender: SenderIn
    text: str = ""
    subject: str | None = None
    html: str | None = None
    attachments: list[AttachmentIn] = msgspec.field(default_factory=list)
    thread_ref: str | None = None
    sent_at: datetime | None = None


class ChannelMessageOut(msgspec.Struct):
    ticket_id: uuid.UUID
    message_id: uuid.UUID
    duplicate: bool


def _token(request: WebhookRequest) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def check_token(connection: Connection, hub: Hub, request: WebhookRequest) -> None:
    await channel_instances.verify_token(hub, request.channel_id, _token(request))


async def post_message(connection: Connection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    data = request.data
    assert isinstance(data, ChannelMessageIn)
    attachments = tuple(
        InboundAttachment(filename=a.filename, content_type=d.content_type, data=d.data)
        for a in data.attachments
        for d in [decode_attachment(a.filename, a.content_type, a.data_base64)]
    )
    message = InboundMessage(
        channel_id=request.channel_id,
        external_id=data.external_id,
        sender=Sender(identity=data.sender.identity, name=data.sender.name),
        text=data.text,
        subject=data.subject,
        html=data.html,
        attachments=attachments,
        thread_ref=data.thread_ref,
        sent_at=data.sent_at,
    )
    result = await ingest.ingest(hub, message, payload=await request.body())
    # Only an e-mail notice (a bounce) is stored without a ticket; an API message always has one.
    assert result.ticket_id is not None and result.message_id is not None
    answer = ChannelMessageOut(
        ticket_id=result.ticket_id, message_id=result.message_id, duplicate=result.duplicate
    )
    return WebhookResponse(200, msgspec.json.encode(answer), "application/json")
