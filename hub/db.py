"""Engine and session factory. PostgreSQL only, through asyncpg."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Dialect, event
from sqlalchemy.exc import IntegrityError, InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from hub.errors import Conflict

#: How a use case locks a row it is about to change (``FOR NO KEY UPDATE``): it keeps out every
#: other writer of the row as ``FOR UPDATE`` does, but not the foreign-key checks of rows that
#: refer to it. Under ``FOR UPDATE`` an agent's reply, holding its ticket, and the worker deriving
#: that ticket's metric samples (rows that refer to the ticket, written once the worker had
#: claimed the ticket's queue row, which the reply's events queue again) each waited for the
#: other: a deadlock, and the reply failed. ``session.get(..., with_for_update=ROW_LOCK)`` or
#: ``.with_for_update(**ROW_LOCK)``.
ROW_LOCK: dict[str, Any] = {"key_share": True}

#: Connections a process keeps open (and as many again while busy).
POOL_SIZE = 10
#: A pooled connection idle longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0
#: Connections are replaced after an hour, before firewalls and poolers drop them silently.
RECYCLE_SECONDS = 3600


def async_database_url(url: str) -> str:
    """Accept the ``postgresql://`` (or ``postgres://``) URL people paste; use the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('://')[0]}://... (the hub runs on PostgreSQL only)")


def create_engine(url: str, *, pool_size: int = POOL_SIZE) -> AsyncEngine:
    """The engine, its pool pinging only connections that sat idle (:func:`_ping_after_idle`)."""
    engine = create_async_engine(
        async_database_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=RECYCLE_SECONDS,
    )
    event.listen(engine.sync_engine, "checkin", _checked_in)
    event.listen(engine.sync_engine, "checkout", _ping_after_idle(engine.dialect))
    return engine


def _checked_in(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_after_idle(dialect: Dialect) -> Callable[[Any, Any, Any], None]:
    """SQLAlchemy's ``pool_pre_ping`` on every checkout, but only after the connection sat idle.

    The pre-ping is three round trips with asyncpg (BEGIN, an empty query, ROLLBACK) on every
    checkout, each one handing the CPU to PostgreSQL in the middle of a WeChat push's answer. A
    connection used a moment ago is alive; the ones a database restart or a firewall dropped are
    those that sat in the pool, and they are pinged as before (a failed ping replaces every pooled
    connection, as the pre-ping did). A connection that breaks while in steady use fails its
    statement once, and SQLAlchemy then replaces the pool's connections too.
    """

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise InvalidatePoolError(f"a pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise InvalidatePoolError("a pooled connection failed its ping")

    return checkout


async def open_connections(engine: AsyncEngine, count: int) -> None:
    """Open ``count`` pooled connections now, before the first request needs them.

    A server starting with an empty pool meets its first burst by opening a connection per
    concurrent request (a PostgreSQL backend forked and introduced for each), which stalls the
    first answers (``bench/wechat_webhook.py``; its figures are in the README's *Measured*).
    """

    async def one() -> None:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    await asyncio.gather(*(one() for _ in range(count)))


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def flush_unique(session: AsyncSession, taken: str) -> None:
    """Flush, a unique index's refusal becoming a 409 that names what is ``taken``: the database
    decides whether a name or an address is free, as a look-up first would race a second writer."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(detail=f"{taken} already exists") from None
