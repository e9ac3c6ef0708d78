"""``hub ingest email PATH...`` (.eml files, Maildir folders and mbox files into a mailbox channel) and
``hub mail-listener`` (mail delivered over SMTP or LMTP)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from web.cli import common
from web.cli.lazy import LazyGroup

if TYPE_CHECKING:
    import uuid


@click.group("ingest", cls=LazyGroup, lazy_commands={"phone": "web.cli.phone:ingest_phone"})
def ingest_group() -> None:
    """Bring existing traffic into the hub (idempotent: running it again adds nothing)."""


@ingest_group.command("email")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--channel",
    "channel_id",
    type=click.UUID,
    default=None,
    help="The mailbox channel's id (default: the only mailbox channel, when there is one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object as the last line.")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=500, show_default=True, hidden=True)
@click.option(
    "--parse-workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Processes parsing mail beside the database work (default: 1 on a multi-core machine, else 0).",
)
def ingest_email(
    paths: tuple[Path, ...],
    channel_id: uuid.UUID | None,
    as_json: bool,
    batch_size: int,
    parse_workers: int | None,
) -> None:
    """Ingest mail files (.eml), Maildir folders and mbox files as if the mailbox had received them.

    Every mail is accounted for: created (a new ticket), threaded (joined a ticket), duplicate
    (already ingested), ignored (our own mail, bounces, delivery reports) or rejected (unreadable:
    stored raw, listed with the reason). Exit status 1 when any mail was rejected.
    """
    from channels.email.importer import DEFAULT_PARSE_WORKERS, import_mail
    from channels.email.ingest import EmailIngest, RedisClaims
    from channels.email.sources import items as list_items

    if parse_workers is None:
        parse_workers = DEFAULT_PARSE_WORKERS
    found = list_items(list(paths))
    show_bar = sys.stderr.isatty() and not as_json

    async def work(runtime: Any) -> Any:
        ingest = await EmailIngest.create(runtime.hub, RedisClaims(runtime.redis))
        mailbox = channel_id or await _only_mailbox(runtime.hub, list(ingest.mailboxes.configs))
        if mailbox not in ingest.mailboxes.configs:
            raise click.ClickException(f"{mailbox} is not a mailbox (e-mail) channel; see `hub channel list`")
        if not show_bar:
            return await import_mail(
                ingest, mailbox, found, batch_size=batch_size, parse_workers=parse_workers
            )
        with click.progressbar(length=len(found), label="ingesting", file=sys.stderr) as bar:
            return await import_mail(
                ingest,
                mailbox,
                found,
                batch_size=batch_size,
                parse_workers=parse_workers,
                on_done=lambda _i, _r: bar.update(1),
            )

    summary = common.run(work)
    data = summary.as_json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        counts = ", ".join(
            f"{data[k]} {k}" for k in ("created", "threaded", "duplicate", "ignored", "rejected")
        )
        click.echo(f"{data['files']} mails: {counts}")
        for problem in summary.problems:
            click.echo(f"rejected {problem['file']}: {problem['reason']}", err=True)
    if summary.problems:
        sys.exit(1)


async def _only_mailbox(hub: Any, mailboxes: list[uuid.UUID]) -> uuid.UUID:
    """Without ``--channel`` the mail goes to the hub's one mailbox; with several, naming them is
    the helpful answer (an operator rarely knows a channel's id by heart)."""
    if len(mailboxes) == 1:
        return mailboxes[0]
    if not mailboxes:
        raise click.ClickException(
            "there is no mailbox (e-mail) channel yet; add one with `hub channel add email`"
        )
    from hub.intake.channel_instances import list_channels

    names = {c.id: c.name for c in await list_channels(hub) if c.id in mailboxes}
    choices = "; ".join(f"--channel {i} ({names.get(i, '?')})" for i in mailboxes)
    raise click.ClickException(f"there are {len(mailboxes)} mailbox channels, choose one: {choices}")


@click.command("mail-listener")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=2525, show_default=True, help="Port.")
@click.option("--lmtp", is_flag=True, help="Speak LMTP (for an MTA's lmtp transport) instead of SMTP.")
@click.option(
    "--max-size",
    "max_bytes",
    type=click.IntRange(1024),
    default=64 * 1024 * 1024,
    show_default=True,
    help="Largest mail accepted, in bytes (bigger ones get 552).",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM certificate (chain) to offer STARTTLS with.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM private key of --tls-cert (if not in the same file).",
)
@click.option("--require-tls", is_flag=True, help="Refuse mail until the client has used STARTTLS.")
def mail_listener(
    host: str,
    port: int,
    lmtp: bool,
    max_bytes: int,
    tls_cert: str | None,
    tls_key: str | None,
    require_tls: bool,
) -> None:
    """Accept mail for the mailbox channels' addresses over SMTP or LMTP and store it.

    Recipients must be a mailbox channel's address or its +token variant (others: 550 5.1.1).
    Each mail is answered 250 only once it is stored, 451 4.3.0 when storing failed (the sender
    retries). Run it behind your MTA, e.g. Postfix: transport_maps → lmtp:inet:127.0.0.1:2525.
    """
    import asyncio
    import signal

    from channels.email.listener import server_tls_context, start_listener

    if (tls_key or require_tls) and not tls_cert:
        raise click.UsageError("--tls-key and --require-tls need --tls-cert")
    try:
        tls_context = server_tls_context(tls_cert, tls_key) if tls_cert else None
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise click.UsageError(f"cannot load the TLS certificate: {exc}") from None
    settings = common.settings()
    common.configure_logging(settings.log_level)

    async def work(runtime: Any) -> None:
        server = await start_listener(
            runtime.hub,
            runtime.redis,
            host=host,
            port=port,
            lmtp=lmtp,
            max_bytes=max_bytes,
            tls_context=tls_context,
            require_tls=require_tls,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        bound = server.sockets[0].getsockname()
        tls = ", STARTTLS required" if require_tls else ", STARTTLS" if tls_context else ""
        click.echo(f"hub mail listener ({'LMTP' if lmtp else 'SMTP'}{tls}) on {bound[0]}:{bound[1]}")
        sys.stdout.flush()
        await stop.wait()
        server.close()
        await server.wait_closed()

    common.run(work, settings)
