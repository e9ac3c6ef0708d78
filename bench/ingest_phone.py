"""Phone call-log reading rate against the CSV module's parse rate, on the same generated file.

    .venv/bin/python bench/ingest_phone.py [--rows 100000] [--seed 7]

Writes ``--rows`` Asterisk ``cdr_csv`` rows (21 columns: loguniqueid, loguserfield,
newcdrcolumns) into a temporary Master.csv with the writer the fixtures use
(:mod:`channels.phone.cdr.asterisk_writer`), mixed like a support line's log: 55 % calls answered
on the first phone, 20 % ring groups (two or three legs, through Local channels), 10 % a caller
hanging up in the queue, 8 % busy or no answer, 5 % transfers, 2 % voicemail; Chinese caller
names with commas. Then, in the same run:

* floor: ``csv.reader`` over the same text (decode and split into fields, nothing else),
  measured before and after and averaged;
* read: :func:`channels.phone.cdr.read_cdr` (decode, detect, parse every field, merge the legs
  into calls), which is what ``hub ingest phone`` does before it touches the database.

Prints rows/s for each and the ratio. Each measurement is one function over the generated file
(``Measurement``), so another (the whole import into the database) is one more entry in
``measurements()``.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from channels.phone.cdr import read_cdr
from channels.phone.cdr.asterisk_writer import AsteriskRow, write

ZONE = ZoneInfo("Asia/Shanghai")
SURNAMES = ["张", "王", "李", "赵", "陈", "刘"]
COMPANIES = ["上海某某贸易有限公司", "Acme Trading, Ltd", "北京创新科技, 销售部", ""]


def _call(rng: random.Random, n: int, start: datetime) -> list[AsteriskRow]:
    """The rows of one call (one leg or several, all sharing the linkedid)."""
    caller = f"13{rng.randrange(10**9):09d}"
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


def generate(path: Path, count: int, seed: int = 7) -> int:
    """Writes at least ``count`` rows (whole calls) to ``path``; returns the number of calls."""
    rng = random.Random(seed)
    moment = datetime(2026, 9, 28, 8, 0, tzinfo=ZONE)
    rows: list[AsteriskRow] = []
    calls = 0
    while len(rows) < count:
        rows += _call(rng, calls, moment)
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


@dataclass(frozen=True)
class Measurement:
    label: str
    run: Callable[[Path], int]  # returns the rows it went through


def measurements() -> list[Measurement]:
    return [Measurement("read_cdr (parse, merge legs, no database)", read)]


def timed(run: Callable[[Path], int], path: Path) -> tuple[int, float]:
    began = time.perf_counter()
    rows = run(path)
    return rows, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hub-bench-phone-") as tmp:
        path = Path(tmp) / "Master.csv"
        began = time.perf_counter()
        calls = generate(path, args.rows, args.seed)
        print(
            f"generated {args.rows:,} cdr_csv rows ({calls:,} calls, {path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - began:.1f} s"
        )
        # The floor is measured on both sides and averaged: a shared machine whose speed drifts
        # moves both instead of only the ratio's denominator.
        timed(floor, path)  # warm-up: the first pass over a new file pays for the allocator and caches
        rows, before = timed(floor, path)
        results = [(m.label, *timed(m.run, path)) for m in measurements()]
        _, after = timed(floor, path)
        floor_rate = rows / ((before + after) / 2)
        print(
            f"floor, csv.reader (parse only): {floor_rate:,.0f} rows/s "
            f"(before {rows / before:,.0f}, after {rows / after:,.0f})"
        )
        for label, done, seconds in results:
            rate = done / seconds
            print(
                f"{label}: {rate:,.0f} rows/s ({seconds:.2f} s); ratio to the floor: {rate / floor_rate:.1%}"
            )


if __name__ == "__main__":
    main()
