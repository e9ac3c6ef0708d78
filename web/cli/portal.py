"""``hub token create`` (an integration's token, e.g. the ERP's) and ``hub import partners`` (CSV
files of partners, orders, deliveries into the ERP sync)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from web.cli import common


@click.group("token")
def token_group() -> None:
    """Tokens for other systems (the ERP): no user, only a scope."""


@token_group.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. erp.")
@click.option("--scope", type=click.Choice(["sync"]), required=True, help="sync: the ERP upserts.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "name", "scope", "token"} as JSON.')
def create_token(name: str, scope: str, as_json: bool) -> None:
    """Make an integration token; it is shown once, only its hash is kept."""
    from hub.accounts import integration_tokens
    from hub.actors import CLI

    async def work(runtime: Any) -> Any:
        return await integration_tokens.create(runtime.hub, CLI, name=name, scope=scope)

    row, token = common.run(work)
    if as_json:
        click.echo(json.dumps({"id": str(row.id), "name": row.name, "scope": row.scope, "token": token}))
        return
    click.echo(f"created {row.scope} token {row.name!r} ({row.id})")
    click.echo(f"token (keep it secret, shown once): {token}")


@click.command("partners")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--entity",
    default="partners",
    show_default=True,
    type=click.Choice(["partners", "orders", "deliveries", "quality_cases"]),
    help="Which records the file holds.",
)
@click.option(
    "--mode", type=click.Choice(["insert", "update", "upsert"]), default="upsert", show_default=True
)
@click.option(
    "--source", default="csv", show_default=True, help="The system the file's external_refs belong to."
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def import_partners(path: Path, entity: str, mode: str, source: str, dry_run: bool, as_json: bool) -> None:
    """Import a CSV file of partner data (UTF-8 with or without BOM, or GB18030).

    Each row's result is reported with its line number; a bad row does not stop the others. Exit
    status 1 when any row failed.
    """
    from hub.actors import CLI
    from hub.portal import sync_import

    raw = path.read_bytes()

    async def work(runtime: Any) -> Any:
        return await sync_import.run(
            runtime.hub,
            CLI,
            entity=entity,
            raw=raw,
            source=source,
            mode=mode,  # type: ignore[arg-type]
            dry_run=dry_run,
            file_name=path.name,
        )

    report = common.run(work)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "entity": report.entity,
                    "mode": report.mode,
                    "dry_run": report.dry_run,
                    "encoding": report.encoding,
                    "counts": report.counts,
                    "rows": report.rows,
                },
                ensure_ascii=False,
            )
        )
    else:
        for row in report.rows:
            outcome = row.get("result") or f"{row['status']} {row['code']}: {row['detail']}"
            click.echo(f"{path.name}:{row['line']}: {row['external_ref']}: {outcome}")
        summary = ", ".join(f"{count} {name}" for name, count in sorted(report.counts.items()))
        click.echo(f"{'dry run: ' if dry_run else ''}{summary or 'no rows'} ({report.encoding})")
    if report.failed:
        raise SystemExit(1)
