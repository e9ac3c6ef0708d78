"""``hub migrate`` and ``hub seed-demo``: the schema and the demo data."""

from __future__ import annotations

from typing import Any

import click

from web.cli import common


@click.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run repeatedly and concurrently)."""
    from hub.migrate import upgrade_exclusively

    async def work(runtime: Any) -> tuple[str | None, str | None]:
        return await upgrade_exclusively(runtime.engine, runtime.database_url)

    before, after = common.run(work, schema=False)
    if before == after:
        click.echo(f"database is up to date ({after})")
    else:
        click.echo(f"database migrated: {before or 'empty'} -> {after}")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the bilingual demo organizations, people, channels and tickets (idempotent)."""
    from hub.demo import seed_demo
    from hub.migrate import upgrade_exclusively

    async def work(runtime: Any) -> str:
        await upgrade_exclusively(runtime.engine, runtime.database_url)
        from channels.phone.demo import seed_calls

        said = await seed_demo(runtime.hub)
        return f"{said}\n{await seed_calls(runtime.hub)}"

    click.echo(common.run(work, schema=False))
