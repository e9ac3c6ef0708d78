"""Each test worker's own database and Redis (tests/servers.py): copies of one template migrated
once per run, so parallel workers neither wipe each other's data nor migrate once each."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.servers import provision_database, with_database, with_redis_db
from web.embedded import ServerUrls

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def test_redis_database_numbers_count_up_from_the_given_one() -> None:
    assert with_redis_db("redis://localhost:6379/0", 2) == "redis://localhost:6379/2"
    assert with_redis_db("redis://:pw@redis:6379/3", 1) == "redis://:pw@redis:6379/4"
    assert with_redis_db("redis://localhost", 1) == "redis://localhost/1"
    assert with_redis_db("unix:///run/redis.sock?db=0", 1) == "unix:///run/redis.sock?db=1"
    assert with_redis_db("unix:///run/redis.sock", 2) == "unix:///run/redis.sock?db=2"


def test_this_worker_has_a_database_of_its_own(server_urls: ServerUrls, worker_id: str) -> None:
    name = sa.make_url(server_urls.database_url).database or ""
    if worker_id == "master":
        assert not name.endswith("_template") and "_gw" not in name
    else:
        assert name.endswith(f"_{worker_id}")


async def _query(url: str, sql: str) -> object:
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            result = await connection.execute(sa.text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


@pytest.fixture
async def scratch(server_urls: ServerUrls) -> AsyncIterator[tuple[str, str]]:
    """An admin URL and a base name for databases this test creates, all dropped at the end."""
    admin = with_database(server_urls.database_url, "postgres")
    base = f"hub_prov_{uuid.uuid4().hex[:8]}"
    yield admin, base
    for suffix in ("_template", "_a", "_b"):
        await _query(admin, f'DROP DATABASE IF EXISTS "{base}{suffix}" WITH (FORCE)')


async def test_workers_copy_a_template_migrated_once_per_run(scratch: tuple[str, str]) -> None:
    admin, base = scratch
    template = f"{base}_template"
    run = uuid.uuid4().hex
    await provision_database(admin, template, f"{base}_a", run)
    a = with_database(admin, f"{base}_a")
    assert await _query(a, "SELECT count(*) FROM alembic_version") == 1, "the copy is migrated"

    # A mark left in the template survives only if the next worker of the run does not migrate again.
    await _query(with_database(admin, template), "CREATE TABLE run_mark (id int)")
    await _query(a, "CREATE TABLE only_in_a (id int)")
    await provision_database(admin, template, f"{base}_b", run)
    b = with_database(admin, f"{base}_b")
    assert await _query(b, "SELECT to_regclass('run_mark') IS NOT NULL"), "migrated twice in one run"
    assert await _query(b, "SELECT to_regclass('only_in_a') IS NULL"), "workers share a database"
    assert await _query(b, "SHOW synchronous_commit") == "off", "throwaway databases skip the WAL flush"

    # A new run builds its template afresh (it may have new migrations), and a worker's database is
    # re-copied, losing what the last run left in it.
    await provision_database(admin, template, f"{base}_a", uuid.uuid4().hex)
    assert await _query(a, "SELECT to_regclass('run_mark') IS NULL"), "a new run reused the old template"
    assert await _query(a, "SELECT to_regclass('only_in_a') IS NULL"), "the worker's database was kept"
    assert await _query(a, "SELECT count(*) FROM alembic_version") == 1
