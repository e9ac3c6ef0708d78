"""The API channel's inbound endpoint: an integration posts its users' messages here.

Authenticated by the channel's own token (``Authorization: Bearer hub_ch_...``), not by a user.
Idempotent on ``external_id``: retrying a post returns the first result with ``duplicate: true``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from hub.core import Hub
from hub.inbound import InboundAttachment, InboundMessage, Sender
from hub.services import channel_instances
from hub.services.tickets import decode_attachment
from web.edge import KEEP, NUL_OPT


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


def _token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def channel_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard runs before the body is read: a caller without the token can neither make us parse
    a large payload nor learn the body's shape from validation errors."""
    hub: Hub = connection.app.state.hub
    await channel_instances.verify_token(hub, connection.path_params["channel_id"], _token(connection))


@post(
    "/api/v1/channels/{channel_id:uuid}/messages",
    exclude_from_auth=True,
    guards=[channel_token],
    status_code=HTTP_200_OK,
    tags=["channels"],
    summary="Post an inbound message to an API channel",
    opt={NUL_OPT: KEEP},
)
async def post_channel_message(
    request: Request,
    hub: NamedDependency[Hub],
    channel_id: FromPath[uuid.UUID],
    data: JSONBody[ChannelMessageIn],
) -> ChannelMessageOut:
    attachments = tuple(
        InboundAttachment(filename=a.filename, content_type=d.content_type, data=d.data)
        for a in data.attachments
        for d in [decode_attachment(a.filename, a.content_type, a.data_base64)]
    )
    message = InboundMessage(
        channel_id=channel_id,
        external_id=data.external_id,
        sender=Sender(identity=data.sender.identity, name=data.sender.name),
        text=data.text,
        subject=data.subject,
        html=data.html,
        attachments=attachments,
        thread_ref=data.thread_ref,
        sent_at=data.sent_at,
    )
    result = await hub.ingest(message, payload=await request.body())
    return ChannelMessageOut(
        ticket_id=result.ticket_id, message_id=result.message_id, duplicate=result.duplicate
    )
