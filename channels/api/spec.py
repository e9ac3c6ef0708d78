"""The API channel: an integration (a CRM, an ERP, a chat bot) posts its users' messages to the
hub with the channel's token and receives the agents' replies as signed webhooks."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from channels.spec import (
    HTTP_URL,
    Announcement,
    ChannelSpec,
    Connection,
    Finding,
    Resources,
    Route,
    WebhookRequest,
    WebhookResponse,
    setting,
)

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.models import Channel

PATH = "/api/v1/channels/{channel_id:uuid}/messages"


class ApiSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    callback_url: (
        Annotated[
            str,
            setting(
                "Where agent replies are POSTed (signed).", "坐席回复的推送地址（带签名）", pattern=HTTP_URL
            ),
        ]
        | None
    ) = None


def _connect(resources: Resources) -> Connection:
    from channels.api.sender import WebhookSender

    sender = WebhookSender(
        http=resources.http, master_key=resources.settings.secret_key, storage=resources.storage
    )
    return Connection(sender=sender)


async def _check_token(connection: Connection, hub: Hub, request: WebhookRequest) -> None:
    from channels.api.inbound import check_token

    await check_token(connection, hub, request)


async def _post(connection: Connection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    from channels.api.inbound import post_message

    return await post_message(connection, hub, request)


async def _check(connection: Connection, hub: Hub, channel: Channel) -> list[Finding]:
    """Nothing is posted (the integration would take it for a reply); only what is missing is said."""
    url = channel.config.get("callback_url")
    if not url:
        return [Finding("warn", "callback URL", "none set: agents' replies stay undelivered until one is")]
    return [Finding("ok", "callback URL", f"replies are posted to {url}")]


def _announce(base_url: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Announcement:
    return Announcement(lines=(f"post messages to: /api/v1/channels/{channel_id}/messages",))


def _routes() -> tuple[Route, ...]:
    from channels.api.inbound import ChannelMessageIn, ChannelMessageOut

    return (
        Route(
            "POST",
            PATH,
            _post,
            "Post an inbound message to an API channel",
            guard=_check_token,
            body_type=ChannelMessageIn,
            answer_type=ChannelMessageOut,
        ),
    )


SPEC = ChannelSpec(
    kind="api",
    title={"zh-CN": "API 集成", "en": "API integration"},
    form=ApiSettings,
    issues_token=True,
    body_limit=50_000,
    connect=_connect,
    routes=_routes,
    announce=_announce,
    check=_check,
    example="hub channel add api --name 'ERP integration' --callback-url https://erp.example/hub-replies",
)
