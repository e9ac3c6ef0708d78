"""A WeChat channel's settings, read from the channel's stored config and the environment.

Where each credential lives, and why:

* **AppSecret**: only in the environment, named by ``secret_env``. It gets an access token, which
  can send as the account and read its followers: the one credential worth stealing, so it never
  touches the database, the API or the audit log.
* **Token** and **EncodingAESKey**: needed by every web replica on every callback, to check the
  signature and decrypt. They are given on the command line (as WeChat's console shows them) and
  stored *sealed* (AES-GCM under a key derived from ``HUB_SECRET_KEY``, bound to the channel and
  field), so a database dump, ``hub channel list`` or the append-only audit trail shows only
  ciphertext. Losing ``HUB_SECRET_KEY`` means re-adding the channel, as it does for sessions.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from hub.security import seal, unseal

DEFAULT_API_BASE = "https://api.weixin.qq.com"
#: The text field of the template used outside the 48-hour window, when none is configured.
DEFAULT_TEMPLATE_FIELD = "content"


class ConfigProblem(ValueError):
    """The channel cannot work as configured; the message says what to fix (never a secret)."""


def _purpose(channel_id: uuid.UUID, field: str) -> str:
    return f"channel:{channel_id}:wechat:{field}"


def stored_config(
    master_key: str,
    channel_id: uuid.UUID,
    *,
    app_id: str,
    token: str,
    aes_key: str | None,
    secret_env: str,
    api_base: str | None = None,
    template_id: str | None = None,
    template_field: str | None = None,
    welcome: str | None = None,
) -> dict[str, Any]:
    """The JSON kept in ``channels.config``: public settings in clear, token and AES key sealed."""
    if not app_id.strip():
        raise ConfigProblem("--app-id is required")
    if not token.strip():
        raise ConfigProblem("--token is required")
    if aes_key is not None and len(aes_key) != 43:
        raise ConfigProblem("--aes-key must be the 43-character EncodingAESKey from the WeChat console")
    if not secret_env.strip():
        raise ConfigProblem("--secret-env must name the environment variable holding the AppSecret")
    config: dict[str, Any] = {
        "app_id": app_id.strip(),
        "secret_env": secret_env.strip(),
        "token_sealed": seal(master_key, _purpose(channel_id, "token"), token.strip()),
        # Generic keys the hub understands: replies are limited by a window, and this account's
        # identities are "appid:openid".
        "reply_window": True,
        "identity_prefix": f"{app_id.strip()}:",
    }
    if aes_key:
        config["aes_key_sealed"] = seal(master_key, _purpose(channel_id, "aes_key"), aes_key)
    if api_base:
        config["api_base"] = api_base.rstrip("/")
    if template_id:
        config["template_id"] = template_id
        config["template_field"] = template_field or DEFAULT_TEMPLATE_FIELD
    if welcome:
        config["welcome"] = welcome
    return config


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
