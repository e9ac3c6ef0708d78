"""``hub doctor``: what is wrong with this installation, in words that say what to do about it.

Each check is independent and bounded in time, so one unreachable server does not hide what the
others would have found; a ``fail`` stops traffic (nothing is received or sent), a ``warn`` costs
something (late replies, lost safety) without stopping it.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from channels.spec import Finding

if TYPE_CHECKING:
    from channels.catalogue import Catalogue
    from hub.config import Settings
    from hub.core import Hub
    from hub.models import Channel
    from web.runtime import Runtime

CHECK_TIMEOUT_S = 15.0
#: PostgreSQL's and Redis's clocks against this machine's: SLA deadlines are computed by both.
SKEW_WARN_S = 2.0
#: A delivery job waits at most a few minutes between tries; older than this, nothing is working on it.
STUCK_AFTER = timedelta(minutes=15)
FREE_SPACE_WARN_BYTES = 1 << 30
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

Check = Callable[["Runtime"], Awaitable[list[Finding]]]


def configuration(settings: Settings) -> list[Finding]:
    """What can be told from the settings alone."""
    found = []
    host = urlsplit(settings.base_url).hostname or ""
    public = host not in LOOPBACK
    if settings.base_url.startswith("http://") and public:
        found.append(
            Finding(
                "warn",
                "base URL",
                f"{settings.base_url} is plain HTTP on a public name: passwords and sessions cross the "
                "network in clear; serve HTTPS behind a proxy, set HUB_BASE_URL=https://… and "
                "HUB_COOKIE_SECURE=true",
            )
        )
    elif settings.base_url.startswith("https://") and not settings.cookie_secure:
        found.append(
            Finding("warn", "cookies", "HUB_BASE_URL is HTTPS but HUB_COOKIE_SECURE is off: set it to true")
        )
    else:
        found.append(Finding("ok", "base URL", settings.base_url))
    if public and not settings.require_admin_2fa:
        found.append(
            Finding(
                "warn", "admins", "admins may sign in without a second factor: set HUB_REQUIRE_ADMIN_2FA=true"
            )
        )
    key = settings.data_dir / "secret.key"
    if settings.embedded_database and key.is_file() and key.stat().st_mode & 0o077:
        found.append(
            Finding("warn", "secret", f"{key} can be read by other users of this machine: chmod 600 it")
        )
    return found


async def reachable(settings: Settings) -> list[Finding]:
    """Servers given by URL, tried once each with a short timeout before anything else (the
    runtime's own Redis pool retries for seconds, and says nothing an operator can act on)."""
    from redis.asyncio import Redis

    from hub.db import create_engine

    found = []
    if settings.database_url:
        engine = create_engine(settings.database_url)
        try:
            async with asyncio.timeout(5):
                async with engine.connect() as connection:
                    await connection.execute(sa.text("SELECT 1"))
        except Exception as exc:  # any failure means "cannot use it"; the reason says which
            found.append(Finding("fail", "PostgreSQL", f"cannot connect to HUB_DATABASE_URL: {_reason(exc)}"))
        finally:
            await engine.dispose()
    if settings.redis_url:
        client = Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5)
        try:
            await client.ping()
        except Exception as exc:  # as above
            found.append(Finding("fail", "Redis", f"cannot connect to HUB_REDIS_URL: {_reason(exc)}"))
        finally:
            await client.aclose()
    return found


async def database(runtime: Runtime) -> list[Finding]:
    from hub.migrate import numbered_head, stamped_revision

    async with runtime.engine.connect() as connection:
        version = await connection.scalar(sa.text("SHOW server_version"))
    found = [Finding("ok", "PostgreSQL", f"reachable, version {version}")]
    stamped, head = await stamped_revision(runtime.engine), numbered_head()
    if stamped == head:
        found.append(Finding("ok", "schema", f"up to date ({head})"))
    elif runtime.uses_embedded:
        found.append(
            Finding(
                "warn", "schema", f"at {stamped or 'empty'}, {head} is current: the next command migrates"
            )
        )
    else:
        found.append(
            Finding("fail", "schema", f"at {stamped or 'empty'}, {head} is needed: run `hub migrate`")
        )
    return found


async def redis(runtime: Runtime) -> list[Finding]:
    info = await runtime.redis.info("server")
    found = [Finding("ok", "Redis", f"reachable, version {info.get('redis_version', '?')}")]
    policy = (await runtime.redis.config_get("maxmemory-policy")).get("maxmemory-policy", "noeviction")
    if policy != "noeviction":
        found.append(
            Finding(
                "warn",
                "Redis memory",
                f"maxmemory-policy is {policy}: under memory pressure Redis drops queued jobs; set noeviction",
            )
        )
    return found


async def clocks(runtime: Runtime) -> list[Finding]:
    async with runtime.engine.connect() as connection:
        before = time.time()
        database_now: datetime = await connection.scalar(sa.text("SELECT now()"))
        database_skew = database_now.timestamp() - (before + time.time()) / 2
    before = time.time()
    seconds, micros = await runtime.redis.time()
    redis_skew = seconds + micros / 1e6 - (before + time.time()) / 2
    worst = max(abs(database_skew), abs(redis_skew))
    detail = f"PostgreSQL {database_skew:+.2f} s, Redis {redis_skew:+.2f} s from this machine"
    if worst > SKEW_WARN_S:
        return [
            Finding(
                "warn", "clocks", f"{detail}: SLA deadlines and token expiry drift; run NTP on every host"
            )
        ]
    return [Finding("ok", "clocks", detail)]


async def worker(runtime: Runtime) -> list[Finding]:
    from web.runtime import JOB_QUEUE

    # arq's worker writes this key every health-check interval (30 s) with a short expiry.
    beat = await runtime.redis.get(f"{JOB_QUEUE}:health-check")
    if beat is None:
        return [
            Finding(
                "warn",
                "worker",
                "no worker has checked in: replies are not delivered and SLA alerts do not fire; "
                "run `hub serve` (it starts one) or `hub worker`",
            )
        ]
    return [Finding("ok", "worker", beat.decode(errors="replace").strip())]


async def traffic(runtime: Runtime) -> list[Finding]:
    from hub.domain import OutboxStatus, RawStatus
    from hub.models.pipeline import Outbox, RawInbound

    now = datetime.now(UTC)
    async with runtime.hub.session_factory() as session:
        failed_out = await session.scalar(
            sa.select(sa.func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.FAILED)
        )
        stuck = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Outbox)
            .where(
                Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.DELIVERING]),
                Outbox.next_attempt_at < now - STUCK_AFTER,
            )
        )
        failed_in = await session.scalar(
            sa.select(sa.func.count()).select_from(RawInbound).where(RawInbound.status == RawStatus.FAILED)
        )
    found = []
    if stuck:
        found.append(
            Finding(
                "warn", "deliveries", f"{stuck} replies waiting for over 15 minutes: is a worker running?"
            )
        )
    if failed_out:
        found.append(
            Finding(
                "warn",
                "deliveries",
                f"{failed_out} replies failed for good (reasons on the tickets); after fixing the cause: "
                "`hub outbox retry --failed`",
            )
        )
    if failed_in:
        found.append(
            Finding(
                "warn",
                "inbound",
                f"{failed_in} received messages failed processing: `hub inbound failed`, then `hub inbound retry`",
            )
        )
    return found or [Finding("ok", "traffic", "no failed or stuck messages")]


async def storage(runtime: Runtime) -> list[Finding]:
    folder = runtime.settings.attachments_dir
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".doctor-probe"
    probe.write_bytes(b"")
    probe.unlink()
    free = shutil.disk_usage(folder).free
    if free < FREE_SPACE_WARN_BYTES:
        return [Finding("warn", "attachments", f"only {free >> 20} MiB free under {folder}")]
    return [Finding("ok", "attachments", f"{folder} writable, {free >> 30} GiB free")]


async def channels(runtime: Runtime) -> list[Finding]:
    from hub.intake import channel_instances

    found = []
    for channel in await channel_instances.list_channels(runtime.hub):
        if not channel.is_active:
            continue
        name = f'{channel.kind} "{channel.name}"'
        results = await channel_test(runtime.channels, runtime.hub, channel)
        found += [Finding(result.level, f"{name} {result.part}", result.detail) for result in results]
        if not results:
            found.append(Finding("ok", name, "nothing to test"))
    return found or [Finding("warn", "channels", "no channel yet: `hub channel add KIND --help`")]


async def channel_test(catalogue: Catalogue, hub: Hub, channel: Channel) -> list[Finding]:
    """One channel's self-test, bounded in time: ``hub doctor`` and the admin page's "test
    connection" button run the same."""
    try:
        return await asyncio.wait_for(catalogue.check(hub, channel), CHECK_TIMEOUT_S)
    except TimeoutError:
        return [Finding("fail", "test", f"no answer within {CHECK_TIMEOUT_S:.0f} s")]


SERVERS: tuple[tuple[str, Check], ...] = (
    ("PostgreSQL", database),
    ("Redis", redis),
    ("clocks", clocks),
    ("worker", worker),
    ("attachments", storage),
)
#: Read the hub's tables: only meaningful once PostgreSQL answers with the current schema.
DATA: tuple[tuple[str, Check], ...] = (("traffic", traffic), ("channels", channels))


async def examine(runtime: Runtime) -> list[Finding]:
    found = configuration(runtime.settings)
    for name, check in SERVERS:
        found += await _run(name, check, runtime)
    schema_ready = any(f.part == "schema" and f.level == "ok" for f in found)
    for name, check in DATA:
        found += (
            await _run(name, check, runtime)
            if schema_ready
            else [
                Finding(
                    "warn", name, "not examined: the database is unreachable or its schema is not current"
                )
            ]
        )
    return found


async def _run(name: str, check: Check, runtime: Runtime) -> list[Finding]:
    try:
        return await asyncio.wait_for(check(runtime), CHECK_TIMEOUT_S * 2)
    except Exception as exc:  # a failed check is a finding, never the end of the examination
        return [Finding("fail", name, _reason(exc))]


def _reason(exc: BaseException) -> str:
    """One line: a driver's error carries the SQL and a link after its first line."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    cause = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


def worst(found: list[Finding]) -> str:
    levels = {finding.level for finding in found}
    return "fail" if "fail" in levels else "warn" if "warn" in levels else "ok"


def as_json(found: list[Finding]) -> list[dict[str, Any]]:
    return [{"level": f.level, "part": f.part, "detail": f.detail} for f in found]
