"""A real database failure while processing: a trigger that refuses new messages, until repaired.

Processing failures must be real ones (a database refusing a write), not a patched function, so
that what the funnel records and what a retry recovers are what an outage would leave.
"""

from __future__ import annotations

import sqlalchemy as sa

from web.runtime import Runtime


async def break_messages(runtime: Runtime) -> None:
    async with runtime.engine.begin() as connection:
        await connection.execute(
            sa.text(
                "CREATE FUNCTION test_refuse_message() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'messages table is broken'; END $$"
            )
        )
        await connection.execute(
            sa.text(
                "CREATE TRIGGER test_refuse_message BEFORE INSERT ON messages "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_message()"
            )
        )


async def repair_messages(runtime: Runtime) -> None:
    async with runtime.engine.begin() as connection:
        await connection.execute(sa.text("DROP TRIGGER IF EXISTS test_refuse_message ON messages"))
        await connection.execute(sa.text("DROP FUNCTION IF EXISTS test_refuse_message()"))
