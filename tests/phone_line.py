"""A channel kind written the way docs/architecture.md says one is added: one spec module and one
line in ``channels.catalogue.KINDS``. Only the tests register it (as the ``phone`` kind, which the
core knows and no folder ships yet); ``tests/web/test_kind_as_a_folder.py`` proves that nothing
else is needed for its settings, command, routes and API description to exist."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from channels.spec import (
    Announcement,
    ChannelSpec,
    Connection,
    Route,
    WebhookRequest,
    WebhookResponse,
    setting,
)
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundMessage, Sender

if TYPE_CHECKING:
    from hub.core import Hub


class LineSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    numbers: Annotated[list[str], setting("The line's numbers.", "线路号码")] = msgspec.field(
        default_factory=list
    )
    region: Annotated[
        str, setting("a two-letter region code, e.g. CN", "默认地区", pattern=r"^[A-Z]{2}$")
    ] = "CN"


class CallIn(msgspec.Struct, forbid_unknown_fields=True):
    call_id: str
    caller: str
    note: str = "通话 call"


class CallOut(msgspec.Struct):
    ticket_id: uuid.UUID
    duplicate: bool


async def _check_token(connection: Connection, hub: Hub, request: WebhookRequest) -> None:
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else None
    await channel_instances.verify_token(hub, request.channel_id, token)


async def _call(connection: Connection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    call: CallIn = request.data
    message = InboundMessage(
        channel_id=request.channel_id,
        external_id=call.call_id,
        sender=Sender(identity=call.caller),
        text=call.note,
        type="call",
    )
    result = await ingest.ingest(hub, message, payload=await request.body())
    assert result.ticket_id is not None
    answer = CallOut(ticket_id=result.ticket_id, duplicate=result.duplicate)
    return WebhookResponse(200, msgspec.json.encode(answer), "application/json")


def _announce(base_url: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Announcement:
    url = f"{base_url}/channels/phone/{channel_id}/calls"
    return Announcement(lines=(f"PBX webhook: {url}",), fields={"webhook_url": url})


SPEC = ChannelSpec(
    kind="phone",
    title={"zh-CN": "电话", "en": "Phone"},
    form=LineSettings,
    issues_token=True,
    routes=lambda: (
        Route(
            "POST",
            "/channels/phone/{channel_id:uuid}/calls",
            _call,
            "A call from the PBX",
            guard=_check_token,
            body_type=CallIn,
            answer_type=CallOut,
        ),
    ),
    announce=_announce,
)
