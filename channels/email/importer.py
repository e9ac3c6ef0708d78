"""Many mails into the hub, fast: ``hub ingest email`` and ``bench/ingest_email.py`` run this.

Reading and parsing (CPU) overlap with ingesting (database round trips): up to ``concurrency``
ingests are in flight at once. Order still matters for threading: a reply must not be ingested
before the mail it answers, so a mail whose References name a mail still in flight waits for it.
Every item ends in exactly one outcome; a file that cannot be read or parsed is a problem with a
reason, never an exception that stops the run.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from channels.email.ingest import EmailIngest, MailResult, Outcome
from channels.email.parse import ParsedMail, Unparsable
from channels.email.sources import Item


@dataclass
class Summary:
    files: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[dict[str, str]] = field(default_factory=list)
    acknowledged: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            **{o.value: self.counts.get(o.value, 0) for o in Outcome},
            "problems": self.problems,
        }


async def import_mail(
    ingest: EmailIngest,
    channel_id: uuid.UUID,
    items: Sequence[Item],
    *,
    concurrency: int = 8,
    on_done: Callable[[Item, MailResult], None] | None = None,
) -> Summary:
    summary = Summary()
    slots = asyncio.Semaphore(concurrency)
    in_flight: dict[str, asyncio.Task[None]] = {}
    running: set[asyncio.Task[None]] = set()

    async def one(
        item: Item, raw: bytes, parsed: ParsedMail | Unparsable, waits: list[asyncio.Task[None]]
    ) -> None:
        try:
            if waits:
                await asyncio.gather(*waits, return_exceptions=True)
            result = await ingest.ingest(channel_id, raw, parsed)
        except Exception as exc:  # a bug or an outage: report it for this file and go on
            result = MailResult(Outcome.REJECTED, f"{type(exc).__name__}: {exc}")
        finally:
            slots.release()
        _record(summary, item, result)
        if on_done is not None:
            on_done(item, result)

    for item in items:
        try:
            raw = item.read()
        except OSError as exc:
            result = MailResult(Outcome.REJECTED, f"cannot read: {exc.strerror or exc}")
            _record(summary, item, result)
            if on_done is not None:
                on_done(item, result)
            continue
        parsed = ingest.parse(channel_id, raw)
        waits = []
        if isinstance(parsed, ParsedMail) and parsed.message is not None:
            waits = [in_flight[r] for r in parsed.message.references if r in in_flight]
        await slots.acquire()
        task = asyncio.ensure_future(one(item, raw, parsed, waits))
        running.add(task)
        task.add_done_callback(running.discard)
        if isinstance(parsed, ParsedMail):
            key = parsed.message_id
            in_flight[key] = task
            task.add_done_callback(lambda _t, key=key: in_flight.pop(key, None))
    if running:
        await asyncio.gather(*running)
    return summary


def _record(summary: Summary, item: Item, result: MailResult) -> None:
    summary.files += 1
    summary.counts[result.outcome.value] += 1
    if result.acknowledged:
        summary.acknowledged += 1
    if result.outcome is Outcome.REJECTED:
        summary.problems.append({"file": item.label, "reason": result.reason or "rejected"})
