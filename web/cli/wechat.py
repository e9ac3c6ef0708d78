"""The WeChat options of ``hub channel add wechat``, and the channel config they make.

``--token`` and ``--aes-key`` are what the WeChat console shows under 服务器配置 (server
configuration); they are stored sealed (see :mod:`channels.wechat.config`). The AppSecret is never
an option: ``--secret-env`` names the environment variable that holds it, in every hub process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import uuid

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = [
    click.option("--app-id", help="WeChat: the account's AppID (wx...)."),
    click.option("--token", "wx_token", help="WeChat: the server configuration Token (令牌)."),
    click.option(
        "--aes-key", help="WeChat: the 43-character EncodingAESKey (needed for safe and compatible modes)."
    ),
    click.option("--secret-env", help="WeChat: name of the environment variable holding the AppSecret."),
    click.option("--api-base", help="WeChat: API base URL (default https://api.weixin.qq.com)."),
    click.option("--template-id", help="WeChat: template message used to reach a customer outside 48 hours."),
    click.option(
        "--template-field", help="WeChat: the template's field that carries the reply (default content)."
    ),
    click.option("--welcome", help="WeChat: text answered at once to a new follower."),
]
NAMES = (
    "app_id",
    "wx_token",
    "aes_key",
    "secret_env",
    "api_base",
    "template_id",
    "template_field",
    "welcome",
)


def wechat_options(command: F) -> F:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def wechat_config(
    kind: str, channel_id: uuid.UUID, master_key: str, options: dict[str, Any]
) -> dict[str, Any]:
    given = {name for name in NAMES if options.get(name)}
    if kind != "wechat":
        if given:
            flags = ", ".join("--" + name.replace("wx_", "").replace("_", "-") for name in sorted(given))
            raise click.UsageError(f"{flags}: only for WeChat channels")
        return {}
    missing = [
        flag
        for flag, name in (("--app-id", "app_id"), ("--token", "wx_token"), ("--secret-env", "secret_env"))
        if not options.get(name)
    ]
    if missing:
        raise click.UsageError(f"a WeChat channel needs {', '.join(missing)}")
    # Sealing needs the cryptography stack: only loaded for a WeChat channel being added.
    from channels.wechat.config import ConfigProblem, stored_config

    try:
        return stored_config(
            master_key,
            channel_id,
            app_id=options["app_id"],
            token=options["wx_token"],
            aes_key=options.get("aes_key"),
            secret_env=options["secret_env"],
            api_base=options.get("api_base"),
            template_id=options.get("template_id"),
            template_field=options.get("template_field"),
            welcome=options.get("welcome"),
        )
    except ConfigProblem as exc:
        raise click.UsageError(str(exc)) from None
