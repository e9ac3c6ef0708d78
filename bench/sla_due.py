"""How many due dates per second the calendar maths computes (run by hand: prints, never asserts).

    .venv/bin/python bench/sla_due.py [--count 100000] [--spec 3bd]

Random starts over 2025-2026 on the built-in ``cn`` calendar; also a DST calendar and measuring
business time over about three months, which walks day by day.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.calendars.arithmetic import add_business, business_between
from hub.calendars.builtin import builtin
from hub.calendars.durations import parse_duration
from hub.calendars.model import Calendar
from hub.calendars.weekly import office_week


def _starts(count: int, seed: int = 7) -> list[datetime]:
    rng = random.Random(seed)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=730).total_seconds())
    return [base + timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def _rate(label: str, count: int, work: Callable[[], None]) -> None:
    began = time.perf_counter()
    work()
    elapsed = time.perf_counter() - began
    print(f"{label:<48} {count / elapsed:>12,.0f} /s  ({elapsed:.2f} s for {count:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--spec", default="3bd")
    args = parser.parse_args()
    starts = _starts(args.count)
    spec = parse_duration(args.spec)
    cn = builtin("cn")
    assert cn is not None
    ny = Calendar(name="ny", zone=ZoneInfo("America/New_York"), week=office_week("09:00-17:00"))

    for calendar in (cn, ny):
        length = spec.length(calendar.business_day)

        def add(calendar: Calendar = calendar, length: timedelta = length) -> None:
            for start in starts:
                add_business(calendar, start, length)

        _rate(f"add_business {calendar.name} +{spec} (first pass)", args.count, add)
        _rate(f"add_business {calendar.name} +{spec} (day cache warm)", args.count, add)

    quarter = timedelta(days=91)
    measured = starts[: max(1, args.count // 10)]

    def measure() -> None:
        for start in measured:
            business_between(cn, start, start + quarter)

    _rate("business_between cn over 91 days", len(measured), measure)


if __name__ == "__main__":
    main()
