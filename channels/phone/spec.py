"""The phone kind: call logs (CDRs) from any PBX, posted live or imported from files.

No replies travel over the phone: a line has no sender. Its PBX authenticates with the line's
token; its extensions are mapped to users with ``hub phone extension`` (or the API), which is how
a call finds its agent and its direction.
"""

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

if TYPE_CHECKING:
    from hub.core import Hub

PATH = "/channels/phone/{channel_id:uuid}/calls"


class PhoneSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    numbers: Annotated[
        list[str],
        setting("The line's numbers (calls to them are inbound).", "线路号码（打入这些号码的为来电）"),
    ] = msgspec.field(default_factory=list)
    region: Annotated[
        str,
        setting(
            "a two-letter region code, e.g. CN (for numbers without a country code)",
            "默认地区（如 CN）",
            pattern=r"^[A-Z]{2}$",
        ),
    ] = "CN"


async def _check_token(connection: Connection, hub: Hub, request: WebhookRequest) -> None:
    from channels.phone.webhook import check_token

    await check_token(connection, hub, request)


async def _post(connection: Connection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    from channels.phone.webhook import post_call

    return await post_call(connection, hub, request)


def _routes() -> tuple[Route, ...]:
    from channels.phone.webhook import CallOut

    return (
        Route(
            "POST",
            PATH,
            _post,
            "A call from the PBX: one canonical call as JSON, or a FreeSWITCH mod_json_cdr document",
            guard=_check_token,
            answer_type=CallOut,
        ),
    )


def _announce(base_url: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Announcement:
    url = f"{base_url}/channels/phone/{channel_id}/calls"
    return Announcement(
        lines=(
            f"PBX webhook: {url} (Authorization: Bearer <token>)",
            f"map extensions: hub phone extension {channel_id} EXTENSION USER_EMAIL",
        ),
        fields={"webhook_url": url},
    )


SPEC = ChannelSpec(
    kind="phone",
    title={"zh-CN": "电话", "en": "Phone"},
    form=PhoneSettings,
    issues_token=True,  # the PBX authenticates with it
    routes=_routes,
    announce=_announce,
    example="hub channel add phone --name 客服热线 --number 4008001234 --region CN --json",
)
