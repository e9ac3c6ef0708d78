"""Shared fixtures: real PostgreSQL and Redis for every test that needs them.

By default the embedded servers under ``var/test`` (started once per run, stopped at the end).
Set ``HUB_TEST_DATABASE_URL`` and ``HUB_TEST_REDIS_URL`` to use real servers instead; the tests
drop and re-create databases named after that one (``<name>_template``, ``<name>_gw0``...) and
flush Redis databases from that one's number up, so never point them at real data. With
pytest-xdist (``-n``) every worker has a database and a Redis of its own (:mod:`tests.servers`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncConnection

from hub import security
from hub.config import Settings, load_settings
from hub.core import Hub
from hub.models import Base
from tests.servers import servers_for_worker
from web.app import create_app
from web.embedded import ServerUrls
from web.runtime import Runtime, open_runtime

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


# Argon2 at the hub's production cost (64 MiB, 3 passes, 4 threads) takes 0.2-0.4 s per hash and
# per check; a test that creates and logs in its cast of four users spent seconds on it, and the
# four threads of each hash fought the test workers for two cores. The tests check who may log in,
# never the cost, so they hash at argon2's minimum (still argon2id, still verified for real).
security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
security._DUMMY_HASH = security._hasher.hash("not-a-password")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core this run may use. xdist counts the machine's physical
    cores, which ignores CPU affinity (``taskset``, a CI runner's share): more workers than cores
    only adds start-up and contention."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(usable, psutil.cpu_count(logical=False) or usable))


@pytest.fixture(scope="session")
def server_urls(worker_id: str, testrun_uid: str) -> Iterator[ServerUrls]:
    """This process's database and Redis (``worker_id`` and ``testrun_uid`` come from pytest-xdist;
    a plain run is worker ``master``)."""
    with servers_for_worker(
        None if worker_id == "master" else worker_id,
        testrun_uid,
        Path(os.environ.get("HUB_TEST_DATA_DIR", ROOT / "var" / "test")),
        database_url=os.environ.get("HUB_TEST_DATABASE_URL"),
        redis_url=os.environ.get("HUB_TEST_REDIS_URL"),
    ) as urls:
        yield urls


def make_settings(urls: ServerUrls, data_dir: Path, **overrides: str) -> Settings:
    env = {
        "HUB_DATA_DIR": str(data_dir),
        "HUB_DATABASE_URL": urls.database_url,
        "HUB_REDIS_URL": urls.redis_url,
        "HUB_SECRET_KEY": TEST_SECRET,
        **overrides,
    }
    return load_settings(env)


@pytest.fixture
def settings(server_urls: ServerUrls, tmp_path: Path) -> Settings:
    return make_settings(server_urls, tmp_path)


_TABLES = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
#: One round trip naming the tables that hold rows.
_FILLED = " UNION ALL ".join(
    f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"  # noqa: S608 - our own table names
    for t in Base.metadata.sorted_tables
)
#: Every identity column's sequence back to 1 (a rolled-back insert advances one and leaves no row).
_RESTART_SEQUENCES = "SELECT " + ", ".join(
    [
        *(
            f"setval(pg_get_serial_sequence('\"{t.name}\"', '{c.name}'), 1, false)"
            for t in Base.metadata.sorted_tables
            for c in t.columns
            if c.identity is not None
        ),
        "setval('ticket_number_seq', 10001, false)",
    ]
)


async def _empty_database(connection: AsyncConnection) -> None:
    """What ``TRUNCATE`` of every table with ``RESTART IDENTITY`` leaves, at a tenth of the cost.

    A truncate does file work for every table and index, rows or not: 0.15-0.3 s before every
    test. Deleting the rows of the few tables a test filled takes 5-20 ms; with the foreign keys'
    (and the append-only tables') triggers off for the transaction, in any order. Turning them
    off needs a superuser, as the embedded server's is; other roles get the truncate.
    """
    if await connection.scalar(sa.text("SELECT current_setting('is_superuser')")) != "on":
        await connection.execute(sa.text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        await connection.execute(sa.text(_RESTART_SEQUENCES))
        return
    await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
    for name in (await connection.execute(sa.text(_FILLED))).scalars().all():
        await connection.execute(sa.text(f'DELETE FROM "{name}"'))  # noqa: S608 - our own table names
    await connection.execute(sa.text(_RESTART_SEQUENCES))


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings) as rt:
        async with rt.engine.begin() as connection:
            await _empty_database(connection)
        await rt.redis.flushdb()
        yield rt


@pytest.fixture
def hub(runtime: Runtime) -> Hub:
    return runtime.hub


class ManualClock:
    """A :class:`hub.ports.Clock` that stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def clocked_hub(hub: Hub, clock: ManualClock) -> Hub:
    """The hub on a manual clock, for windows measured in hours and days (threading, reopening, SLA)."""
    return dataclasses.replace(hub, clock=clock)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[AsyncTestClient]:
    """The web app, served on its own event loop with its own runtime (as in production)."""
    async with AsyncTestClient(create_app(runtime.settings)) as test_client:
        yield test_client


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


HUB_EXECUTABLE = str(Path(sys.executable).parent / "hub")


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a user would export to point `hub` at the test servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        {
            "HUB_DATA_DIR": str(settings.data_dir),
            "HUB_DATABASE_URL": settings.database_url or "",
            "HUB_REDIS_URL": settings.redis_url or "",
            "HUB_SECRET_KEY": settings.secret_key,
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def run_cli(settings: Settings) -> Callable[..., Awaitable[CliResult]]:
    """Run the real `hub` executable against the test servers, as a user would."""

    async def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> CliResult:
        process = await asyncio.create_subprocess_exec(
            HUB_EXECUTABLE,
            *args,
            env=env or cli_env(settings),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout=90)
        return CliResult(process.returncode or 0, out.decode(), err.decode())

    return run


@pytest.fixture
def invoke_cli(settings: Settings) -> Callable[..., Awaitable[CliResult]]:
    """The `hub` command run in this process by click's CliRunner, for the logic of commands that need
    no process of their own: no servers booted, no signals, no terminal, no start-up behaviour.

    It runs in a thread, as the command opens its own runtime with ``asyncio.run``. An exception the
    command does not turn into an exit status is raised here, where the real command would end with
    a traceback. `run_cli` stays the contract for how the executable behaves as a process.
    """
    from click.testing import CliRunner

    from web.cli import main

    async def run(*args: str) -> CliResult:
        # As in a fresh process: only the HUB_* variables a user would export (None unsets).
        env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("HUB_")}
        env.update(cli_env(settings))
        result = await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env, prog_name="hub")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def make_client(runtime: Runtime, server_urls: ServerUrls, tmp_path: Path) -> Callable[..., AsyncTestClient]:
    """A web app built with settings overrides, on the test servers (cleaned like ``client``)::

    async with make_client(HUB_REQUIRE_ADMIN_2FA="true") as client: ...
    """

    def build(**overrides: str) -> AsyncTestClient:
        return AsyncTestClient(create_app(make_settings(server_urls, tmp_path, **overrides)))

    return build
