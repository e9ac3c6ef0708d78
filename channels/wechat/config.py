"""A WeChat channel's settings at run time: the stored config unsealed, and the AppSecret from the
environment (where each credential lives, and why: :mod:`channels.wechat.spec`).

The token and EncodingAESKey are sealed with AES-GCM under a key derived from ``HUB_SECRET_KEY``,
bound to the channel and field; losing ``HUB_SECRET_KEY`` means re-adding the channel, as it does
for sessions.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from channels.spec import sealed_purpose
from channels.wechat.spec import DEFAULT_TEMPLATE_FIELD
from hub.security import unseal

DEFAULT_API_BASE = "https://api.weixin.qq.com"


class ConfigProblem(ValueError):
    """The channel cannot work as configured; the message says what to fix (never a secret)."""


def _purpose(channel_id: uuid.UUID, field: str) -> str:
    return sealed_purpose(channel_id, "wechat", field)


@dataclass(frozen=True)
class WeChatConfig:
    channel_id: uuid.UUID
    app_id: str
    token: str
    aes_key: str | None
    secret_env: str
    api_base: str = DEFAULT_API_BASE
    template_id: str | None = None
    template_field: str = DEFAULT_TEMPLATE_FIELD
    welcome: str | None = None

    def __repr__(self) -> str:  # never print the token or the AES key
        return f"WeChatConfig(channel_id={self.channel_id}, app_id={self.app_id!r})"

    @classmethod
    def load(cls, master_key: str, channel_id: uuid.UUID, config: dict[str, Any]) -> WeChatConfig:
        try:
            app_id = config["app_id"]
            token = unseal(master_key, _purpose(channel_id, "token"), config["token_sealed"])
            aes = config.get("aes_key_sealed")
            aes_key = unseal(master_key, _purpose(channel_id, "aes_key"), aes) if aes else None
        except KeyError as exc:
            raise ConfigProblem(f"the channel's config lacks {exc.args[0]}; add it again") from None
        except ValueError as exc:
            raise ConfigProblem(str(exc)) from None
        return cls(
            channel_id=channel_id,
            app_id=app_id,
            token=token,
            aes_key=aes_key,
            secret_env=config.get("secret_env", ""),
            api_base=config.get("api_base") or DEFAULT_API_BASE,
            template_id=config.get("template_id"),
            template_field=config.get("template_field") or DEFAULT_TEMPLATE_FIELD,
            welcome=config.get("welcome"),
        )

    def secret(self) -> str:
        value = os.environ.get(self.secret_env, "") if self.secret_env else ""
        if not value:
            raise ConfigProblem(
                f"the AppSecret is missing: set the environment variable {self.secret_env or '(none named)'} "
                "for the hub's processes"
            )
        return value

    def identity(self, openid: str) -> str:
        return f"{self.app_id}:{openid}"

    def openid(self, identity: str) -> str | None:
        prefix = f"{self.app_id}:"
        return identity[len(prefix) :] if identity.startswith(prefix) else None
