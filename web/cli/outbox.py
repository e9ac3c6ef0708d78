"""``hub outbox retry``: outbound deliveries whose job was lost or that failed."""

from __future__ import annotations

from typing import Any

import click

from web.cli import common


@click.group()
def outbox() -> None:
    """Outbound deliveries."""


@outbox.command("retry")
@click.option(
    "--failed", "include_failed", is_flag=True, help="Also give failed deliveries a new set of attempts."
)
def outbox_retry(include_failed: bool) -> None:
    """Re-enqueue deliveries whose job was lost (and, with --failed, the failed ones)."""

    from hub.delivery import delivery

    async def work(runtime: Any) -> int:
        return await delivery.redrive(runtime.hub, include_failed=include_failed)

    count = common.run(work)
    click.echo(f"{count} deliver{'y' if count == 1 else 'ies'} queued")
