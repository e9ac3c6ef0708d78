"""The pool pings only connections that sat idle (``hub.db``): what a dropped connection costs.

Connections are dropped for real, with ``pg_terminate_backend`` (what a database restart or an
administrator does to them), never simulated.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub import db
from hub.domain import ChannelKind
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, Sender
from hub.models import RawInbound
from tests import factories
from web.runtime import Runtime

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _drop_every_other_connection(runtime: Runtime) -> int:
    """Terminate every backend of this database but the one asking; returns how many."""
    engine = db.create_engine(runtime.database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return len(
                (
                    await connection.execute(
                        sa.text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    )
                ).all()
            )
    finally:
        await engine.dispose()


async def test_a_connection_dropped_while_idle_is_replaced_by_the_ping(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every pooled connection counts as idle
    engine = db.create_engine(runtime.database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            before = await connection.scalar(sa.text("SELECT pg_backend_pid()"))
        assert await _drop_every_other_connection(runtime) >= 1
        async with engine.connect() as connection:
            after = await connection.scalar(sa.text("SELECT pg_backend_pid()"))
        assert after != before, "the ping found the dropped connection and the pool opened another"
    finally:
        await engine.dispose()


async def test_a_push_stored_right_after_its_connection_was_dropped_is_stored_once(runtime: Runtime) -> None:
    """Used a moment ago, the connection is not pinged: the insert fails once, and is tried again."""
    hub = runtime.hub
    channel = await factories.channel(hub, ChannelKind.API)
    first = InboundMessage(
        channel_id=channel.id, external_id="before", sender=Sender(identity="a@example.com"), text="1"
    )
    await ingest.store(hub, first, process_later=False)  # the pool's connections are now fresh
    assert await _drop_every_other_connection(runtime) >= 1
    message = InboundMessage(
        channel_id=channel.id,
        external_id=f"after-{uuid.uuid4()}",
        sender=Sender(identity="a@example.com"),
        text="2",
    )
    stored = await ingest.store(hub, message, process_later=False)
    assert stored.new
    async with hub.uow() as uow:
        rows = (
            await uow.session.scalars(
                sa.select(RawInbound.external_id).where(RawInbound.channel_id == channel.id)
            )
        ).all()
    assert sorted(rows) == sorted(["before", message.external_id])
