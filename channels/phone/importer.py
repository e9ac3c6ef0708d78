"""Call records into the hub in batches: ``hub ingest phone`` and ``bench/ingest_phone.py`` run this.

Calls go through the one ingest engine like every message, a batch at a time (``batch_size``),
as a pipeline of two stages that overlap: batch k+1's raw rows are committed
(:func:`hub.intake.ingest.store_many`, on a connection of its own) while batch k is processed
(:func:`hub.intake.ingest.process_many`). Batches are processed strictly in order, so a callback
logged after a missed call finds the ticket the missed call opened. Every call ends in one
outcome; one the rules cannot place is a problem with its reason, kept raw (rejected) for
``hub inbound rejected``, while the rest go in. Importing the same calls again changes nothing:
each is keyed by the PBX's call id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from channels.phone.calls import CallProblem, to_message
from channels.phone.lines import Line
from channels.phone.records import CallRecord
from hub import heap
from hub.core import Hub
from hub.errors import HubError
from hub.events import DomainEvent
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, IngestResult
from hub.uow import held_after_commit

#: Calls per batch (``hub ingest phone``'s default, which names it again so as not to import
#: this module to print its help): measured at 100,000 calls, 500 → 1,000 took PostgreSQL's
#: CPU from 188 to 163 µs a row (each batch's statements, plans, commits and statement triggers
#: cost the same however many rows they carry) and the rate from 2,232 to 2,421 rows/s; a batch
#: of 1,000 calls is about 1.3 MB of rows and holds its tickets' locks for about half a second.
BATCH_SIZE = 1000


@dataclass
class Summary:
    """What ``--json`` prints: counts of files, CDR rows, calls and each call's outcome."""

    files: int = 0
    rows: int = 0
    calls: int = 0
    created: int = 0
    threaded: int = 0
    duplicate: int = 0
    #: Calls between two extensions, kept in the line's log on no ticket.
    internal: int = 0
    rejected: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rows": self.rows,
            "calls": self.calls,
            "created": self.created,
            "threaded": self.threaded,
            "duplicate": self.duplicate,
            "internal": self.internal,
            "rejected": self.rejected,
            "problems": self.problems,
        }

    def count(self, outcome: IngestResult | HubError, where: tuple[str, int], call_id: str) -> None:
        if isinstance(outcome, HubError):
            self.reject(where, f"call {call_id}: {outcome}")
        elif outcome.duplicate:
            self.duplicate += 1
        elif outcome.created_ticket:
            self.created += 1
        else:
            self.threaded += 1

    def reject(self, where: tuple[str, int], reason: str) -> None:
        self.rejected += 1
        self.problems.append({"file": where[0], "line": where[1], "reason": reason})


@dataclass(frozen=True, slots=True)
class Sourced:
    """A call and where it came from (a file, the line of its first row; 0 when not known)."""

    call: CallRecord
    file: str
    line: int = 0


async def import_calls(
    hub: Hub,
    line: Line,
    calls: Sequence[Sourced],
    summary: Summary,
    *,
    batch_size: int = BATCH_SIZE,
    on_done: Callable[[int], None] | None = None,
) -> Summary:
    """Place ``calls`` on their tickets (or in the log), counting each outcome in ``summary``."""
    with heap.settled_for_bulk():
        return await _import(hub, line, calls, summary, batch_size=batch_size, on_done=on_done)


async def _import(
    hub: Hub,
    line: Line,
    calls: Sequence[Sourced],
    summary: Summary,
    *,
    batch_size: int,
    on_done: Callable[[int], None] | None,
) -> Summary:
    summary.calls += len(calls)
    pending: tuple[ingest.StoredMany, list[tuple[Sourced, InboundMessage]]] | None = None
    follow_ups = _FollowUps(hub)
    try:
        for start in range(0, len(calls), batch_size):
            chunk = calls[start : start + batch_size]
            # Batch k+1 is read into messages while batch k's reads wait on the database, and
            # stored while batch k is decided in memory: each side works while the other waits.
            deciding = asyncio.Event()
            storing = asyncio.create_task(_store(hub, line, chunk, summary, deciding))
            try:
                if pending is not None:
                    await _finish(hub, *pending, summary, follow_ups, deciding)
                    if on_done is not None:
                        on_done(len(pending[1]))
            finally:
                deciding.set()
            pending = await storing
            if on_done is not None:
                on_done(len(chunk) - len(pending[1]))
        if pending is not None:
            await _finish(hub, *pending, summary, follow_ups, asyncio.Event())
            if on_done is not None:
                on_done(len(pending[1]))
    finally:
        await follow_ups.wait()
    return summary


class _FollowUps:
    """What the after-commit subscribers do for each processed batch (metric samples, playbook
    suggestions, live updates: half of an import's time), run beside the next batch's processing
    instead of between the two: the database's second core works while the first processes. One
    batch's at a time, in batch order; the import returns once the last one is done."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.running: asyncio.Task[None] | None = None

    async def start(self, events: list[DomainEvent]) -> None:
        await self.wait()
        if events:
            self.running = asyncio.create_task(self.hub.bus.run_after_commit(self.hub, events))

    async def wait(self) -> None:
        if self.running is not None:
            running, self.running = self.running, None
            await running


async def _store(
    hub: Hub, line: Line, chunk: Sequence[Sourced], summary: Summary, start_writing: asyncio.Event
) -> tuple[ingest.StoredMany, list[tuple[Sourced, InboundMessage]]]:
    """A batch's calls as messages, their raw rows committed once ``start_writing`` is set (calls
    between two extensions kept in the log at once); what :func:`_finish` processes."""
    ready, internal = await _prepare(hub, line, chunk, summary)
    await start_writing.wait()
    if internal:
        for new in await ingest.keep_logged(hub, internal):
            summary.internal += 1 if new else 0
            summary.duplicate += 0 if new else 1
    # No payload beside the message: the raw row's message holds the whole call already.
    items: list[tuple[InboundMessage, bytes | None]] = [(m, None) for _, m in ready]
    return await ingest.store_many(hub, items), ready


async def _prepare(
    hub: Hub, line: Line, chunk: Sequence[Sourced], summary: Summary
) -> tuple[list[tuple[Sourced, InboundMessage]], list[tuple[InboundMessage, bytes | None]]]:
    ready: list[tuple[Sourced, InboundMessage]] = []
    internal: list[tuple[InboundMessage, bytes | None]] = []
    for sourced in chunk:
        try:
            message, is_internal = to_message(sourced.call, line)
        except CallProblem as exc:
            payload = msgspec.json.encode(sourced.call)
            await ingest.keep_unreadable(
                hub,
                line.channel_id,
                external_id=f"rejected:{sourced.call.call_id}",
                payload=payload,
                reason=str(exc),
            )
            summary.reject((sourced.file, sourced.line), f"call {sourced.call.call_id}: {exc}")
            continue
        if is_internal:
            internal.append((message, None))
        else:
            ready.append((sourced, message))
    return ready, internal


async def _finish(
    hub: Hub,
    stored: ingest.StoredMany,
    ready: list[tuple[Sourced, InboundMessage]],
    summary: Summary,
    follow_ups: _FollowUps,
    deciding: asyncio.Event,
) -> None:
    events: list[DomainEvent] = []
    try:
        with held_after_commit() as events:
            outcomes = await ingest.process_many(hub, stored, deciding=deciding)
    finally:  # started outside the block, so that their own commits are heard as usual
        await follow_ups.start(events)
    for (sourced, _), outcome in zip(ready, outcomes, strict=True):
        summary.count(outcome, (sourced.file, sourced.line), sourced.call.call_id)
