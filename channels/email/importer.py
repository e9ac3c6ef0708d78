"""Many mails into the hub, fast: ``hub ingest email`` and ``bench/ingest_email.py`` run this.

Mails go in batches (``batch_size``, in the order given; the first few smaller) as a pipeline of
three stages that overlap: batch k+2 is read and parsed (in a worker process when
``parse_workers`` > 0, the default on a multi-core machine; otherwise here, a few mails at a time
between the database's answers), batch k+1's raw rows are committed
(:meth:`EmailIngest.store_batch`, on a connection of its own), and batch k is processed
(:meth:`EmailIngest.finish_batch`: the hub's set-based :meth:`hub.core.Hub.process_many`).
Batches are processed strictly in order, each after the previous one committed, so a reply
threads onto the mail it answers even within one batch, and a mail twice is a duplicate.
Every item ends in exactly one outcome; a file that cannot be read or parsed is a problem with a
reason, never an exception that stops the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from channels.email.ingest import EmailIngest, MailResult, Outcome, StoredMails
from channels.email.parse import Mailbox, ParsedMail, Unparsable, parse
from channels.email.sources import Item
from hub import heap

log = logging.getLogger(__name__)

#: Mails per batch: large enough that a batch's statements cost little per mail, small enough
#: that a batch's rows and payloads stay a few megabytes.
BATCH_SIZE = 500
#: Mails parsed between two yields to the event loop when parsing in this process.
PARSE_SLICE = 4
#: Parsing is the import's largest piece of CPU work; in a process of its own it runs beside this
#: one's database work instead of taking turns with it. More than one buys nothing: this process
#: and PostgreSQL fill the other core.
DEFAULT_PARSE_WORKERS = 1 if len(os.sched_getaffinity(0)) > 1 else 0


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


def _parse_all(mailbox: Mailbox, raws: list[bytes | None]) -> list[ParsedMail | str | None]:
    """Parse a batch (in a worker process, or here); an unparsable mail becomes its reason."""
    parsed: list[ParsedMail | str | None] = []
    for raw in raws:
        if raw is None:
            parsed.append(None)
            continue
        try:
            parsed.append(parse(raw, mailbox))
        except Unparsable as exc:
            parsed.append(exc.reason)
    return parsed


async def import_mail(
    ingest: EmailIngest,
    channel_id: uuid.UUID,
    items: Sequence[Item],
    *,
    batch_size: int = BATCH_SIZE,
    parse_workers: int = DEFAULT_PARSE_WORKERS,
    on_done: Callable[[Item, MailResult], None] | None = None,
) -> Summary:
    summary = Summary()
    mailbox = ingest.mailbox(channel_id)
    loop = asyncio.get_running_loop()
    executor: Executor | None = (
        ProcessPoolExecutor(parse_workers, initializer=heap.settle) if parse_workers > 0 else None
    )

    def done(item: Item, result: MailResult) -> None:
        _record(summary, item, result)
        if on_done is not None:
            on_done(item, result)

    def read(chunk: Sequence[Item]) -> list[bytes | None]:
        raws: list[bytes | None] = []
        for item in chunk:
            try:
                raws.append(item.read())
            except OSError as exc:
                done(item, MailResult(Outcome.REJECTED, f"cannot read: {exc.strerror or exc}"))
                raws.append(None)
        return raws

    async def prepare(chunk: Sequence[Item]) -> tuple[Sequence[Item], list[bytes | None], list[Any]]:
        raws = read(chunk)
        if executor is not None:
            return chunk, raws, await loop.run_in_executor(executor, _parse_all, mailbox, raws)
        # Here, a mail at a time with a yield between: the current batch's statements run in
        # PostgreSQL meanwhile, and each answer is taken up within one mail's parse. Parsed in
        # one go, the batch would hold the loop while PostgreSQL waited for its next statement.
        parsed: list[ParsedMail | str | None] = []
        for start in range(0, len(raws), PARSE_SLICE):
            parsed += _parse_all(mailbox, raws[start : start + PARSE_SLICE])
            await asyncio.sleep(0)
        return chunk, raws, parsed

    chunks = _chunks(items, batch_size)
    parsing: list[asyncio.Future[tuple[Sequence[Item], list[bytes | None], list[Any]]]] = []

    Mails = list[tuple[bytes, ParsedMail | Unparsable | None]]

    async def store(number: int) -> tuple[list[Item], Mails, StoredMails | None]:
        """Batch ``number`` parsed (starting the next one's parse), then stored raw (``None``: the
        batch could not be stored as one; its mails go one by one when its turn comes)."""
        chunk, raws, parsed = await parsing[number]
        if number + 1 < len(chunks):
            parsing.append(asyncio.ensure_future(prepare(chunks[number + 1])))
        mails: Mails = []
        kept: list[Item] = []
        for item, raw, one in zip(chunk, raws, parsed, strict=True):
            if raw is None:
                continue
            mails.append((raw, Unparsable(one) if isinstance(one, str) else one))
            kept.append(item)
        try:
            return kept, mails, await ingest.store_batch(channel_id, mails)
        except Exception:
            log.warning(
                "storing a batch of %d mail(s) failed; storing them one by one", len(mails), exc_info=True
            )
            return kept, mails, None

    async def one_by_one(mails: Mails) -> list[MailResult]:
        """A bug or an outage stays with the mail that meets it: the rest are stored and processed."""
        results = []
        for mail in mails:
            try:
                results += await ingest.ingest_batch(channel_id, [mail])
            except Exception as exc:
                results.append(MailResult(Outcome.REJECTED, f"{type(exc).__name__}: {exc}"))
        return results

    storing: asyncio.Future[tuple[list[Item], Mails, StoredMails | None]] | None = None
    try:
        with heap.settled_for_bulk():
            if chunks:
                parsing.append(asyncio.ensure_future(prepare(chunks[0])))
                storing = asyncio.ensure_future(store(0))
            for number in range(len(chunks)):
                assert storing is not None
                kept, mails, stored = await storing
                # Batch k+1 is stored (its own connection) while batch k is processed: PostgreSQL
                # writes the next raw rows while this process works through this batch.
                storing = asyncio.ensure_future(store(number + 1)) if number + 1 < len(chunks) else None
                if stored is None:
                    results = await one_by_one(mails)
                else:
                    try:
                        results = await ingest.finish_batch(stored)
                    except Exception as exc:  # the hub already fell back to one by one: an outage
                        results = [MailResult(Outcome.REJECTED, f"{type(exc).__name__}: {exc}")] * len(kept)
                for item, result in zip(kept, results, strict=True):
                    done(item, result)
    finally:
        for task in parsing:
            task.cancel()
        if storing is not None:
            storing.cancel()
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    return summary


def _chunks(items: Sequence[Item], batch_size: int) -> list[Sequence[Item]]:
    """Batches of ``batch_size``, but the first ones smaller (1/8, 1/4, 1/2 of it): nothing overlaps
    until the first batch is parsed and stored, so a small first batch starts the pipeline sooner."""
    chunks: list[Sequence[Item]] = []
    start, size = 0, max(batch_size // 8, 1)
    while start < len(items):
        chunks.append(items[start : start + size])
        start += size
        size = min(size * 2, batch_size)
    return chunks


def _record(summary: Summary, item: Item, result: MailResult) -> None:
    summary.files += 1
    summary.counts[result.outcome.value] += 1
    if result.acknowledged:
        summary.acknowledged += 1
    if result.outcome is Outcome.REJECTED:
        summary.problems.append({"file": item.label, "reason": result.reason or "rejected"})
