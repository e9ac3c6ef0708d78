"""``hub ingest email PATH...``: .eml files, Maildir folders and mbox files into a mailbox channel."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import click


@click.group("ingest")
def ingest_group() -> None:
    """Bring existing traffic into the hub (idempotent: running it again adds nothing)."""


@ingest_group.command("email")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--channel", "channel_id", type=click.UUID, required=True, help="The mailbox channel's id.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object as the last line.")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=500, show_default=True, hidden=True)
@click.option("--parse-workers", type=click.IntRange(0, 64), default=0, show_default=True, hidden=True)
def ingest_email(
    paths: tuple[Path, ...], channel_id: uuid.UUID, as_json: bool, batch_size: int, parse_workers: int
) -> None:
    """Ingest mail files (.eml), Maildir folders and mbox files as if the mailbox had received them.

    Every mail is accounted for: created (a new ticket), threaded (joined a ticket), duplicate
    (already ingested), ignored (our own mail, bounces, delivery reports) or rejected (unreadable:
    stored raw, listed with the reason). Exit status 1 when any mail was rejected.
    """
    from channels.email.importer import import_mail
    from channels.email.ingest import EmailIngest, RedisClaims
    from channels.email.sources import items as list_items
    from web.cli import _run

    found = list_items(list(paths))
    show_bar = sys.stderr.isatty() and not as_json

    async def work(runtime: Any) -> Any:
        ingest = await EmailIngest.create(runtime.hub, RedisClaims(runtime.redis))
        if channel_id not in ingest.mailboxes.configs:
            raise click.ClickException(
                f"{channel_id} is not a mailbox (e-mail) channel; see `hub channel list`"
            )
        if not show_bar:
            return await import_mail(
                ingest, channel_id, found, batch_size=batch_size, parse_workers=parse_workers
            )
        with click.progressbar(length=len(found), label="ingesting", file=sys.stderr) as bar:
            return await import_mail(
                ingest,
                channel_id,
                found,
                batch_size=batch_size,
                parse_workers=parse_workers,
                on_done=lambda _i, _r: bar.update(1),
            )

    summary = _run(work)
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
