"""The web-chat channel: the widget on a customer's site (``/widget.js``) talks to these routes.

REST for every write (idempotent by the widget's client message id), one WebSocket per open page
for push (and typing). The protocol is ``docs/webchat.md``; what each part does lives beside it:
the visitor's token and the identity hash (:mod:`.tokens`), the allow-list and CORS
(:mod:`.origins`), the endpoints (:mod:`.endpoints`), the socket (:mod:`.socket`), replies out
(:mod:`.sender`).

The channel's identity secret (``HubChat.setUser``'s HMAC key) is issued when the channel is
added and stored sealed; ``hub channel add webchat --json`` shows it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from channels.spec import (
    Announcement,
    ChannelSpec,
    Connection,
    Resources,
    Route,
    SocketRoute,
    sealed_purpose,
    setting,
)

if TYPE_CHECKING:
    from channels.webchat.connection import WebchatConnection

#: ``scheme://host[:port]``, what a browser sends as ``Origin``: no path, no trailing slash.
ORIGIN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"
COLOUR = r"^#[0-9A-Fa-f]{6}$"
BASE = "/widget/v1/{channel_id:uuid}"
Prechat = Literal["off", "optional", "required"]
DEFAULT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]


class WebchatSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    origins: Annotated[
        list[Annotated[str, msgspec.Meta(pattern=ORIGIN)]],
        setting(
            "Sites allowed to show the widget (https://shop.example); others get no session.",
            "允许显示聊天窗口的网站（如 https://shop.example），其他网站无法开启会话",
            min_length=1,
        ),
    ]
    colour: Annotated[str, setting("the widget's colour, #rrggbb", "窗口主色（#rrggbb）", pattern=COLOUR)] = (
        "#1f6feb"
    )
    greeting_zh: Annotated[str, setting("Greeting in Chinese.", "中文问候语", max_length=500)] = (
        "您好！有什么可以帮您？"
    )
    greeting_en: Annotated[str, setting("Greeting in English.", "英文问候语", max_length=500)] = (
        "Hello! How can we help?"
    )
    position: Annotated[Literal["right", "left"], setting("Corner of the page.", "显示在页面哪一侧")] = (
        "right"
    )
    language: Annotated[
        Literal["auto", "zh-CN", "en"], setting("Language (auto: the browser's).", "语言（auto：跟随浏览器）")
    ] = "auto"
    prechat_name: Annotated[Prechat, setting("Ask the name before chatting.", "聊天前询问姓名")] = "off"
    prechat_email: Annotated[Prechat, setting("Ask the e-mail before chatting.", "聊天前询问邮箱")] = "off"
    prechat_phone: Annotated[Prechat, setting("Ask the phone before chatting.", "聊天前询问电话")] = "off"
    calendar: (
        Annotated[
            str,
            setting(
                "Business hours: a calendar's name (hub calendar list); none: always open.",
                "营业时间：日历名称（hub calendar list）；不填则全天开放",
                max_length=64,
            ),
        ]
        | None
    ) = None
    attachment_max_bytes: Annotated[
        int,
        setting(
            "Largest attachment in bytes (0: none accepted).", "附件大小上限（字节，0 表示不接收）", ge=0
        ),
    ] = 10 * 1024 * 1024
    attachment_types: Annotated[
        list[str], setting("Accepted attachment types (MIME).", "接收的附件类型（MIME）")
    ] = msgspec.field(default_factory=lambda: list(DEFAULT_TYPES))
    message_max_chars: Annotated[
        int, setting("Longest message in characters.", "单条消息最大字符数", ge=1, le=10_000)
    ] = 2_000
    visitor_messages_per_minute: Annotated[
        int, setting("Messages one visitor may send a minute.", "每位访客每分钟可发消息数", ge=1)
    ] = 20
    address_requests_per_minute: Annotated[
        int,
        setting(
            "Sessions and messages one IP address may start a minute.",
            "每个 IP 地址每分钟可发起的会话和消息数",
            ge=1,
        ),
    ] = 120
    secret: (
        Annotated[
            str,
            setting(
                "HMAC key of HubChat.setUser (issued when the channel is added).",
                "HubChat.setUser 的签名密钥（添加渠道时生成）",
                sealed=True,
                min_length=16,
            ),
        ]
        | None
    ) = None


def widget_settings(config: Mapping[str, Any]) -> WebchatSettings:
    """The stored config read back as settings (defaults for what was left to them)."""
    fields = {k: v for k, v in config.items() if not k.endswith("_sealed")}
    return msgspec.convert(fields, WebchatSettings)


def _purpose(channel_id: uuid.UUID) -> str:
    return sealed_purpose(channel_id, "webchat", "secret")


def _store(
    form: WebchatSettings, channel_id: uuid.UUID, master_key: str, previous: Mapping[str, Any]
) -> dict[str, Any]:
    stored = {k: v for k, v in msgspec.to_builtins(form).items() if v is not None}
    if form.secret is None and "secret_sealed" not in previous:
        import secrets

        from hub.security import seal

        stored["secret_sealed"] = seal(master_key, _purpose(channel_id), secrets.token_urlsafe(32))
    return stored


def channel_secret(master_key: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> str | None:
    sealed = config.get("secret_sealed")
    if not sealed:
        return None
    from hub.security import unseal

    return unseal(master_key, _purpose(channel_id), sealed)


def _issued(master_key: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Mapping[str, str]:
    secret = channel_secret(master_key, channel_id, config)
    return {"secret": secret} if secret else {}


def embed(base_url: str, channel_id: uuid.UUID) -> str:
    return f'<script src="{base_url.rstrip("/")}/widget.js" data-channel="{channel_id}" async></script>'


def _announce(base_url: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Announcement:
    return Announcement(lines=(f"embed on the site: {embed(base_url, channel_id)}",))


def _connect(resources: Resources) -> Connection:
    from channels.webchat.connection import WebchatConnection

    return WebchatConnection.build(resources)


def _routes() -> tuple[Route, ...]:
    from channels.webchat import endpoints

    return endpoints.routes(BASE)


def _sockets() -> tuple[SocketRoute, ...]:
    from channels.webchat.socket import visitor_socket

    async def handler(connection: WebchatConnection, hub: Any, socket: Any) -> None:
        await visitor_socket(connection, hub, socket)

    return (SocketRoute(f"{BASE}/socket", handler, "A visitor's live socket (push and typing)"),)


SPEC = ChannelSpec(
    kind="webchat",
    title={"zh-CN": "网页聊天", "en": "Web chat"},
    form=WebchatSettings,
    store=_store,
    body_limit=10_000,
    connect=_connect,
    routes=_routes,
    sockets=_sockets,
    issued_secrets=_issued,
    deliver_at_once=True,
    announce=_announce,
    example="hub channel add webchat --name 官网在线咨询 --origin https://shop.example --json",
)
