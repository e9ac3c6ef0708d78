"""The WeChat Official Account kind (微信公众号): its settings, webhook, sender and jobs.

Where each credential lives, and why: the **AppSecret** only in the environment, named by
``secret_env`` (it gets an access token that sends as the account and reads its followers: the
one credential worth stealing, so it never touches the database, the API or the audit log). The
**Token** and **EncodingAESKey** are needed by every web replica on every callback, to check the
signature and decrypt: given as WeChat's console shows them, stored sealed (a database dump,
``hub channel list`` or the audit trail shows only ciphertext).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from channels.spec import (
    ENV_NAME,
    HTTP_URL,
    Announcement,
    ChannelSpec,
    Connection,
    Finding,
    Job,
    Resources,
    Route,
    WebhookRequest,
    WebhookResponse,
    setting,
)

if TYPE_CHECKING:
    from channels.wechat.accounts import WeChatAccounts
    from channels.wechat.api import WeChatApi
    from hub.core import Hub
    from hub.models import Channel

#: The text field of the template used outside the 48-hour window, when none is configured.
DEFAULT_TEMPLATE_FIELD = "content"
MEDIA_JOB = "wechat_media"
PROFILE_JOB = "wechat_profile"
MEDIA_TRIES = 5
#: Tries of a follower's profile fetch before it waits for their next message.
PROFILE_TRIES = 3
PATH = "/channels/wechat/{channel_id:uuid}"


class WeChatSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    app_id: Annotated[str, setting("The account's AppID (wx...).", "公众号 AppID", min_length=1)]
    token: (
        Annotated[
            str,
            setting(
                "The server configuration Token (令牌).",
                "服务器配置的令牌（Token）",
                sealed=True,
                required=True,
                min_length=1,
            ),
        ]
        | None
    ) = None
    aes_key: (
        Annotated[
            str,
            setting(
                "the 43-character EncodingAESKey from the WeChat console (safe and compatible modes)",
                "消息加解密密钥 EncodingAESKey（43 位）",
                sealed=True,
                pattern=r"^[A-Za-z0-9]{43}$",
            ),
        ]
        | None
    ) = None
    secret_env: Annotated[
        str,
        setting(
            "Name of the environment variable holding the AppSecret.",
            "保存 AppSecret 的环境变量名",
            pattern=ENV_NAME,
        ),
    ]
    api_base: (
        Annotated[
            str, setting("API base URL (default https://api.weixin.qq.com).", "接口地址", pattern=HTTP_URL)
        ]
        | None
    ) = None
    template_id: (
        Annotated[
            str,
            setting("Template message used to reach a customer outside 48 hours.", "48 小时外使用的模板消息"),
        ]
        | None
    ) = None
    template_field: (
        Annotated[
            str,
            setting("The template's field that carries the reply (default content).", "模板中承载回复的字段"),
        ]
        | None
    ) = None
    welcome: (
        Annotated[str, setting("Text answered at once to a new follower.", "关注时自动回复的欢迎语")] | None
    ) = None


def _store(
    form: WeChatSettings, channel_id: uuid.UUID, master_key: str, previous: Mapping[str, Any]
) -> dict[str, Any]:
    stored: dict[str, Any] = msgspec.to_builtins(form)
    app_id = form.app_id.strip()
    stored.update(
        app_id=app_id,
        secret_env=form.secret_env.strip(),
        # Generic keys the hub understands: replies are limited by a window, and this account's
        # identities are "appid:openid".
        reply_window=True,
        identity_prefix=f"{app_id}:",
    )
    if form.api_base:
        stored["api_base"] = form.api_base.rstrip("/")
    if form.template_id:
        stored["template_field"] = form.template_field or DEFAULT_TEMPLATE_FIELD
    return stored


def _accounts() -> WeChatAccounts:
    from channels.wechat.accounts import WeChatAccounts

    return WeChatAccounts()


@dataclass
class WeChatConnection(Connection):
    api: WeChatApi | None = None
    #: The callback's per-channel config cache, one per process.
    accounts: WeChatAccounts = field(default_factory=_accounts)


def _connect(resources: Resources) -> WeChatConnection:
    from channels.wechat import jobs
    from channels.wechat.api import WeChatApi
    from channels.wechat.sender import WeChatSender

    api = WeChatApi(resources.http, resources.redis, max_media_bytes=resources.settings.attachment_max_bytes)
    sender = WeChatSender(api=api, storage=resources.storage, master_key=resources.settings.secret_key)
    return WeChatConnection(sender=sender, follow_ups=jobs.follow_ups, api=api)


async def _check(connection: WeChatConnection, hub: Hub, channel: Channel) -> list[Finding]:
    from channels.wechat.checks import check_account

    return await check_account(connection, hub, channel)


async def _verify(connection: WeChatConnection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    from channels.wechat.webhook import verify

    return await verify(connection, hub, request)


async def _push(connection: WeChatConnection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    from channels.wechat.webhook import push

    return await push(connection, hub, request)


async def _media(connection: WeChatConnection, hub: Hub, attempt: int, message_id: str) -> str:
    from channels.wechat.jobs import download_media

    assert connection.api is not None
    return await download_media(hub, connection.api, uuid.UUID(message_id), attempt=attempt)


async def _profile(
    connection: WeChatConnection, hub: Hub, attempt: int, channel_id: str, identity: str
) -> bool:
    from channels.wechat.jobs import refresh_profile

    assert connection.api is not None
    return await refresh_profile(
        hub, connection.api, uuid.UUID(channel_id), identity, last_try=attempt >= PROFILE_TRIES
    )


def _announce(base_url: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Announcement:
    url = f"{base_url}/channels/wechat/{channel_id}"
    return Announcement(
        lines=(
            f"server URL for the WeChat console (服务器地址): {url}",
            f"the AppSecret is read from ${config['secret_env']} in every hub process",
        ),
        fields={"callback_url": url},
    )


SPEC = ChannelSpec(
    kind="wechat",
    title={"zh-CN": "微信公众号", "en": "WeChat Official Account"},
    form=WeChatSettings,
    store=_store,
    connect=_connect,
    check=_check,
    routes=lambda: (
        Route("GET", PATH, _verify, "WeChat server URL check (echostr)"),
        Route("POST", PATH, _push, "WeChat push (messages, events)"),
    ),
    jobs=(
        Job(MEDIA_JOB, _media, max_tries=MEDIA_TRIES, timeout_seconds=120),
        Job(PROFILE_JOB, _profile, max_tries=PROFILE_TRIES, timeout_seconds=60),
    ),
    announce=_announce,
    example=(
        "hub channel add wechat --name 服务号 --app-id wx0123456789abcdef --token TOKEN "
        "--aes-key ENCODING_AES_KEY --secret-env HUB_WECHAT_SECRET"
    ),
)
