"""Schema migrations (Alembic), callable from the CLI, the server start-up and the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 0x6875625F6D6967  # 'hub_mig'

#: Revision ids the migrations had before they were numbered in one sequence (two of them were
#: 0004). A database stamped with an old id is moved to the new one before Alembic reads where it
#: stands, as Alembic refuses a revision it cannot find among the scripts.
RENAMED_REVISIONS: dict[str, str] = {
    "0004_escalation": "0004",
    "0004_wechat": "0005",
    "0005_imap": "0006",
    "0006_totp_last_step": "0007",
}


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Alembic's env.py runs its own event loop, so run it in a thread from async code."""
    from alembic import command

    await asyncio.to_thread(command.upgrade, alembic_config(database_url), revision)


async def upgrade_exclusively(engine: AsyncEngine, database_url: str) -> tuple[str | None, str | None]:
    """Upgrade to head while holding an advisory lock, so replicas starting together migrate once.

    Returns the revision before and after.
    """
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as connection:
        await connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            before = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
            if before != head_revision():
                await upgrade(database_url)
            after = head_revision()
        finally:
            await connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await connection.commit()
    return before, after


def restamp_renamed_revisions(connection: sa.Connection) -> None:
    """Move a database stamped with an old revision id to its new one.

    env.py calls it in the migration's own transaction, so every upgrade, downgrade or stamp sees
    the new ids (and a failed migration leaves the old stamp as it was).
    """
    if not sa.inspect(connection).has_table("alembic_version"):
        return
    for old, new in RENAMED_REVISIONS.items():
        connection.execute(
            sa.text("UPDATE alembic_version SET version_num = :new WHERE version_num = :old"),
            {"old": old, "new": new},
        )


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


def numbered_head() -> str:
    """The head as the files name it: migrations are ``NNNN_*.py`` with revision ``NNNN``, in one
    chain (a test holds this to Alembic's own head). Every command checks the schema first; reading
    file names instead of loading Alembic and its scripts keeps that check off their start-up."""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


async def stamped_revision(engine: AsyncEngine) -> str | None:
    """Where the database says it stands, in one query (None: never migrated)."""
    async with engine.connect() as connection:
        if not await connection.scalar(sa.text("SELECT to_regclass('alembic_version') IS NOT NULL")):
            return None
        found: str | None = await connection.scalar(sa.text("SELECT max(version_num) FROM alembic_version"))
        return found
