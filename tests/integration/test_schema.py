"""The migrated database is the schema the models describe, and its history tables cannot be rewritten."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

from hub.domain import ChannelKind
from hub.migrate import current_revision, head_revision, numbered_head, stamped_revision
from hub.models import APPEND_ONLY_TABLES, Base
from hub.requirements import requirements
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

_COMPARE_OPTS = {"compare_type": True, "compare_server_default": True}


async def _differences(runtime, metadata: sa.MetaData) -> list[Any]:
    async with runtime.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts=_COMPARE_OPTS), metadata)
        )


async def test_the_database_is_at_the_latest_migration(runtime) -> None:
    assert await current_revision(runtime.engine) == head_revision()
    # The commands' quick check reads the same revision and head without Alembic.
    assert await stamped_revision(runtime.engine) == numbered_head() == head_revision()


async def test_migrations_produce_exactly_the_models(runtime) -> None:
    """A model change without its migration (or the reverse) fails here."""
    assert await _differences(runtime, Base.metadata) == []


async def test_the_comparison_notices_a_model_without_its_migration(runtime) -> None:
    """Guards the test above: the comparison really sees columns, types and tables."""
    changed = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["tickets"].append_column(sa.Column("sla_due_at", sa.DateTime(timezone=True)))
    sa.Table("playbooks", changed, sa.Column("id", sa.Integer, primary_key=True))
    diff = await _differences(runtime, changed)
    kinds = {(d[0], getattr(d[-1], "name", None)) for d in diff if isinstance(d, tuple)}
    assert ("add_column", "sla_due_at") in kinds
    assert ("add_table", "playbooks") in kinds


async def _a_ticket_with_history(hub) -> None:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id)).ticket_id
    agent = await factories.user(hub)
    await requirements.record(
        hub, factories.actor(agent), ticket_id, requirements.NewRequirement("发票抬头改为新公司名")
    )


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET at = at + interval '1 day'", "DELETE FROM {table}"],
    ids=["update", "delete"],
)
async def test_history_tables_refuse_update_and_delete(runtime, hub, table: str, statement: str) -> None:
    await _a_ticket_with_history(hub)
    async with runtime.engine.connect() as connection:
        count = sa.select(sa.func.count()).select_from(sa.table(table))
        before = await connection.scalar(count)
        assert before > 0
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(sa.text(statement.format(table=table)))
        await connection.rollback()
        assert await connection.scalar(count) == before


async def test_history_tables_still_accept_new_rows(runtime, hub) -> None:
    await _a_ticket_with_history(hub)
    async with runtime.engine.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO audit_events (actor_kind, action, subject_type, subject_id) "
                "VALUES ('cli', 'test.inserted', 'test', 'x')"
            )
        )
        count = await connection.scalar(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'test.inserted'")
        )
    assert count == 1
