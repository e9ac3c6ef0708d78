"""An Official Account's self-test for ``hub doctor``: its settings open, its AppSecret is in the
environment, and WeChat hands out an access token (the shared cached one when there is one, so
the test never replaces the token the senders use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from channels.spec import Finding

if TYPE_CHECKING:
    from channels.wechat.spec import WeChatConnection
    from hub.core import Hub
    from hub.models import Channel


async def check_account(connection: WeChatConnection, hub: Hub, channel: Channel) -> list[Finding]:
    from channels.wechat.api import Unreachable, WeChatApiError
    from channels.wechat.config import ConfigProblem, WeChatConfig
    from channels.wechat.tokens import TokenUnavailable

    try:
        config = WeChatConfig.load(hub.settings.secret_key, channel.id, channel.config)
        config.secret()
    except ConfigProblem as exc:
        return [Finding("fail", "settings", str(exc))]
    assert connection.api is not None
    try:
        await connection.api.tokens.get(config)
    except WeChatApiError as exc:
        return [Finding("fail", "access token", f"{config.app_id} was refused: {exc}")]
    except (Unreachable, TokenUnavailable) as exc:
        return [Finding("fail", "access token", f"cannot reach WeChat ({config.api_base}): {exc}")]
    return [Finding("ok", "access token", f"WeChat gives {config.app_id} an access token")]
