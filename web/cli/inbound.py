"""``hub inbound``: stored inbound messages whose processing failed, and payloads rejected as unreadable."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from hub.errors import HubError
from web.cli import common

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable


@click.group()
def inbound() -> None:
    """Stored inbound messages whose processing failed, and payloads rejected as unreadable."""


def _show(
    rows: list[Any],
    as_json: bool,
    record: Callable[[Any], dict[str, Any]],
    line: Callable[[Any], str],
    none: str,
) -> None:
    """Both listings print alike: a JSON array for scripts, or a line a row (or ``none``) for people."""
    if as_json:
        click.echo(json.dumps([record(r) for r in rows], ensure_ascii=False))
        return
    if not rows:
        click.echo(none)
    for r in rows:
        click.echo(line(r))


@inbound.command("failed")
@click.option("--json", "as_json", is_flag=True)
def inbound_failed(as_json: bool) -> None:
    """List inbound messages that were stored but failed to process."""
    from hub.intake.ingest import failed_inbound

    async def work(runtime: Any) -> list[Any]:
        return await failed_inbound(runtime.hub)

    _show(
        common.run(work),
        as_json,
        lambda r: {"id": str(r.id), "external_id": r.external_id, "error": r.error},
        lambda r: f"{r.id}  {r.external_id}  attempts={r.attempts}  {r.error}",
        "no failed inbound messages",
    )


@inbound.command("rejected")
@click.option("--json", "as_json", is_flag=True)
@click.option("--show", "show_id", type=click.UUID, default=None, help="Print one payload as received.")
def inbound_rejected(as_json: bool, show_id: uuid.UUID | None) -> None:
    """Payloads that were authentic but unreadable (malformed XML...), kept for inspection."""
    from hub.domain import RawStatus
    from hub.intake.ingest import failed_inbound

    async def work(runtime: Any) -> list[Any]:
        return await failed_inbound(runtime.hub, status=RawStatus.REJECTED)

    rows = common.run(work)
    if show_id is not None:
        match = next((r for r in rows if r.id == show_id), None)
        if match is None:
            raise click.ClickException(f"no rejected payload {show_id}")
        click.echo((match.payload or b"").decode("utf-8", errors="replace"))
        return
    _show(
        rows,
        as_json,
        lambda r: {
            "id": str(r.id),
            "channel_id": str(r.channel_id),
            "received_at": r.received_at.isoformat(),
            "times": r.attempts,
            "size": len(r.payload or b""),
            "error": r.error,
        },
        lambda r: f"{r.id}  {r.received_at:%Y-%m-%d %H:%M:%S}  {len(r.payload or b'')} bytes  {r.error}",
        "no rejected inbound payloads",
    )


@inbound.command("retry")
@click.argument("raw_ids", nargs=-1, type=click.UUID)
def inbound_retry(raw_ids: tuple[uuid.UUID, ...]) -> None:
    """Process failed inbound messages again (all of them, or the ids given)."""
    from hub.intake import ingest
    from hub.intake.ingest import failed_inbound

    async def work(runtime: Any) -> tuple[int, list[str]]:
        ids = list(raw_ids) or [r.id for r in await failed_inbound(runtime.hub)]
        done, problems = 0, []
        for raw_id in ids:
            try:
                await ingest.process_raw(runtime.hub, raw_id)
                done += 1
            except HubError as exc:
                problems.append(f"{raw_id}: {exc.params.get('error') or exc}")
        return done, problems

    done, problems = common.run(work)
    click.echo(f"{done} processed")
    for line in problems:
        click.echo(f"still failing: {line}", err=True)
    if problems:
        sys.exit(1)
