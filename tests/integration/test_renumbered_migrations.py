"""A database migrated under the old revision ids (two of them 0004) upgrades with the renumbered scripts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
import sqlalchemy as sa

from hub.db import create_engine
from hub.migrate import RENAMED_REVISIONS, head_revision, numbered_head, upgrade, upgrade_exclusively
from web.embedded import ServerUrls

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

#: Every column, constraint, index, trigger, function and enum of the public schema, comparably.
_SCHEMA_QUERIES = [
    """SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'public'""",
    """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace""",
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    """SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)
       FROM pg_trigger WHERE NOT tgisinternal""",
    "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
    """SELECT typname, array_agg(enumlabel ORDER BY enumsortorder)::text
       FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid GROUP BY typname""",
]

ScratchDatabase = Callable[[], AbstractAsyncContextManager[str]]


@pytest.fixture
def scratch_database(server_urls: ServerUrls) -> ScratchDatabase:
    """An empty database of its own on the test server, dropped afterwards."""

    @asynccontextmanager
    async def scratch() -> AsyncIterator[str]:
        name = f"hub_renumber_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server_urls.database_url, pool_size=1)
        try:
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            yield (
                sa.make_url(server_urls.database_url).set(database=name).render_as_string(hide_password=False)
            )
        finally:
            async with admin.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()

    return scratch


async def _schema_and_revision(url: str) -> tuple[list[set[tuple[object, ...]]], list[str]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            schema = [{tuple(row) for row in await connection.execute(sa.text(q))} for q in _SCHEMA_QUERIES]
            revisions = list(await connection.scalars(sa.text("SELECT version_num FROM alembic_version")))
    finally:
        await engine.dispose()
    return schema, revisions


async def _migrated_by_the_old_code(url: str, old_revision: str) -> None:
    """The schema the old scripts left at ``old_revision``: same migrations, only the id differs."""
    await upgrade(url, RENAMED_REVISIONS[old_revision])
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE alembic_version SET version_num = :old"), {"old": old_revision}
            )
    finally:
        await engine.dispose()


async def test_the_revision_ids_form_one_numbered_sequence() -> None:
    # Later migrations continue the numbered chain after the renamed ones.
    assert head_revision() == numbered_head() >= "0007"
    assert sorted(RENAMED_REVISIONS.values()) == ["0004", "0005", "0006", "0007"]


@pytest.mark.parametrize("old_revision", list(RENAMED_REVISIONS))
async def test_a_database_at_an_old_revision_id_upgrades_to_the_fresh_schema(
    scratch_database: ScratchDatabase, old_revision: str
) -> None:
    async with scratch_database() as fresh, scratch_database() as old:
        await upgrade(fresh)
        await _migrated_by_the_old_code(old, old_revision)
        assert (await _schema_and_revision(old))[1] == [old_revision]
        await upgrade(old)
        assert await _schema_and_revision(old) == await _schema_and_revision(fresh)


async def test_serve_and_migrate_report_the_move_from_the_old_head(scratch_database: ScratchDatabase) -> None:
    """``hub serve`` and ``hub migrate`` go through the locked upgrade.

    A database at the old head has only the migrations after it left: its id changes, then they run.
    """
    head = head_revision()
    async with scratch_database() as url, scratch_database() as fresh:
        await _migrated_by_the_old_code(url, "0006_totp_last_step")
        await upgrade(fresh)
        engine = create_engine(url, pool_size=1)
        try:
            assert await upgrade_exclusively(engine, url) == ("0006_totp_last_step", head)
            assert await upgrade_exclusively(engine, url) == (head, head)
        finally:
            await engine.dispose()
        assert await _schema_and_revision(url) == await _schema_and_revision(fresh)
