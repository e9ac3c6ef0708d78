"""A real database failure while processing: a trigger that refuses new rows of a table, until repaired.

Processing failures must be real ones (a database refusing a write), not a patched function, so
that what the funnel records and what a retry recovers are what an outage would leave.
"""

from __future__ import annotations

import sqlalchemy as sa

from web.runtime import Runtime


async def refuse_inserts(runtime: Runtime, table: str, error: str) -> None:
    """Every insert into ``table`` fails with ``error`` as PostgreSQL's own message, until
    :func:`accept_inserts` takes the trigger away."""
    name = f"test_refuse_{table}"
    async with runtime.engine.begin() as connection:
        await connection.execute(
            sa.text(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{error}'; END $$"
            )
        )
        await connection.execute(
            sa.text(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
        )


async def accept_inserts(runtime: Runtime, table: str) -> None:
    name = f"test_refuse_{table}"
    async with runtime.engine.begin() as connection:
        await connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
        await connection.execute(sa.text(f"DROP FUNCTION IF EXISTS {name}()"))


async def break_messages(runtime: Runtime) -> None:
    await refuse_inserts(runtime, "messages", "messages table is broken")


async def repair_messages(runtime: Runtime) -> None:
    await accept_inserts(runtime, "messages")
