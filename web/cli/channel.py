"""``hub channel add`` and ``hub channel list``: mailboxes, Official Accounts, widgets, lines, APIs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from hub.domain import ChannelKind
from web.cli import common
from web.cli.wechat import NAMES as WECHAT_NAMES
from web.cli.wechat import wechat_config, wechat_options

if TYPE_CHECKING:
    import uuid


@click.group()
def channel() -> None:
    """Add and list channels (mailboxes, Official Accounts, widgets, phone lines, API integrations)."""


@channel.command("add")
@click.argument("kind", type=click.Choice([k.value for k in ChannelKind]))
@click.option("--name", required=True, help="A unique name, e.g. 'ERP integration'.")
@click.option("--team", "team_id", type=click.UUID, default=None, help="Team that receives its new tickets.")
@click.option("--callback-url", default=None, help="API channel: where agent replies are POSTed (signed).")
@click.option("--address", default=None, help="E-mail: the mailbox address, e.g. support@example.com.")
@click.option("--display-name", default=None, help="E-mail: the name replies are sent under.")
@click.option("--smtp-host", default=None, help="E-mail: SMTP server for replies.")
@click.option("--smtp-port", type=click.IntRange(1, 65535), default=None, help="E-mail: SMTP port.")
@click.option(
    "--smtp-tls", type=click.Choice(["starttls", "tls", "none"]), default=None, help="E-mail: SMTP TLS."
)
@click.option("--smtp-user", default=None, help="E-mail: SMTP login.")
@click.option(
    "--smtp-password-env",
    default=None,
    help="E-mail: NAME of the environment variable holding the SMTP password (never the password).",
)
@click.option(
    "--auto-ack/--no-auto-ack", default=None, help="E-mail: acknowledge each new ticket automatically."
)
@click.option("--notifications", is_flag=True, default=None, help="E-mail: send staff notification mails.")
@click.option("--imap-host", default=None, help="E-mail: IMAP server to watch (the worker fetches new mail).")
@click.option("--imap-port", type=click.IntRange(1, 65535), default=None, help="E-mail: IMAP port.")
@click.option(
    "--imap-tls", type=click.Choice(["tls", "starttls", "none"]), default=None, help="E-mail: IMAP TLS (tls)."
)
@click.option("--imap-user", default=None, help="E-mail: IMAP login (default: the address).")
@click.option(
    "--imap-password-env",
    default=None,
    help="E-mail: NAME of the environment variable holding the IMAP password (never the password).",
)
@click.option("--imap-folder", default=None, help="E-mail: folder to watch (default INBOX).")
@click.option(
    "--imap-poll-seconds",
    type=click.FloatRange(min=1.0),
    default=None,
    help="E-mail: poll interval without IDLE, and re-check interval with it (default 60).",
)
@click.option(
    "--imap-idle/--no-imap-idle", default=None, help="E-mail: use IMAP IDLE when offered (default on)."
)
@click.option(
    "--tls-ca-file",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    default=None,
    help="E-mail: PEM file of a private CA to trust for the SMTP and IMAP servers (besides the system's).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ..., "token": ...} as JSON.')
@wechat_options
def channel_add(
    kind: str,
    name: str,
    team_id: uuid.UUID | None,
    callback_url: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Add a channel; for an API channel, print its inbound token and webhook secret (shown once);
    for a WeChat channel, the callback URL to enter in the account's server configuration.

    E-mail: hub channel add email --name 客服邮箱 --address support@example.com --smtp-host smtp.example.com
    --smtp-user support@example.com --smtp-password-env HUB_SMTP_PASSWORD
    --imap-host imap.example.com --imap-password-env HUB_IMAP_PASSWORD
    """
    import uuid

    from hub.actors import CLI
    from hub.services import channel_instances

    wechat = {name: options.pop(name) for name in WECHAT_NAMES if name in options}
    mail = options
    settings = common.settings()
    channel_id = uuid.uuid4()
    config: dict[str, Any] = {"callback_url": callback_url} if callback_url else {}
    config.update({key: value for key, value in mail.items() if value is not None})
    if kind == ChannelKind.EMAIL.value and not config.get("address"):
        raise click.UsageError("an e-mail channel needs --address")
    if kind != ChannelKind.EMAIL.value and any(v is not None for v in mail.values()):
        raise click.UsageError("--address and the --smtp-*/--imap-*/--tls-* options are for e-mail channels")
    config.update(wechat_config(kind, channel_id, settings.secret_key, wechat))

    async def work(runtime: Any) -> Any:
        return await channel_instances.add_channel(
            runtime.hub,
            CLI,
            kind=ChannelKind(kind),
            name=name,
            team_id=team_id,
            config=config,
            channel_id=channel_id,
        )

    created = common.run(work, settings)
    wechat_url = f"{settings.base_url}/channels/wechat/{created.channel.id}" if kind == "wechat" else None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "id": str(created.channel.id),
                    "token": created.token,
                    "webhook_secret": created.webhook_secret,
                    **({"callback_url": wechat_url} if wechat_url else {}),
                }
            )
        )
        return
    click.echo(f"channel {created.channel.name} ({kind}): {created.channel.id}")
    if wechat_url:
        click.echo(f"server URL for the WeChat console (服务器地址): {wechat_url}")
        click.echo(f"the AppSecret is read from ${config['secret_env']} in every hub process")
    if created.token:
        click.echo(f"inbound token (keep it secret, shown once): {created.token}")
        click.echo(f"post messages to: /api/v1/channels/{created.channel.id}/messages")
    if created.webhook_secret:
        click.echo(f"webhook signing secret (X-Hub-Signature-256): {created.webhook_secret}")


@channel.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def channel_list(as_json: bool) -> None:
    """List channels with their ids, and for watched mailboxes what the watcher does (or its error)."""
    from hub.services import channel_instances, cursors

    async def work(runtime: Any) -> tuple[list[Any], list[Any]]:
        return await channel_instances.list_channels(runtime.hub), await cursors.list_status(runtime.hub)

    rows, statuses = common.run(work)
    sources: dict[uuid.UUID, list[Any]] = {}
    for status in statuses:
        sources.setdefault(status.channel_id, []).append(status)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": str(c.id),
                        "kind": c.kind.value,
                        "name": c.name,
                        "active": c.is_active,
                        "config": c.config,
                        "sources": [_source_json(s) for s in sources.get(c.id, [])],
                    }
                    for c in rows
                ],
                ensure_ascii=False,
            )
        )
        return
    if not rows:
        click.echo("no channels yet; add one with `hub channel add`")
    for c in rows:
        state = "" if c.is_active else "  (disabled)"
        click.echo(f"{c.id}  {c.kind.value:<8} {c.name}{state}")
        for s in sources.get(c.id, []):
            line = f"    {s.source}: {s.state}, up to {s.position} (validity {s.validity})"
            if s.error:
                line += f"; error since {s.error_since:%Y-%m-%d %H:%M:%S}: {s.error}"
            click.echo(line)


def _source_json(status: Any) -> dict[str, Any]:
    return {
        "source": status.source,
        "state": status.state,
        "validity": status.validity,
        "position": status.position,
        "error": status.error,
        "error_since": status.error_since.isoformat() if status.error_since else None,
        "updated_at": status.updated_at.isoformat(),
    }
