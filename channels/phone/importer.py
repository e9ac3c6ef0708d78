"""Call records into the hub in batches: ``hub ingest phone`` and ``bench/ingest_phone.py`` run this.

Calls go through the one ingest engine like every message, a batch at a time (``batch_size``),
as a pipeline whose stages overlap so that Python and the database each work while the other
does: while batch k is processed (:func:`hub.intake.ingest.process_many`), batch k+1's raw rows
are committed (:func:`hub.intake.ingest.store_many`, on a connection of its own) as k is decided
in memory, and batch k+2 is read into messages as k is written (:class:`.Stages` says when).
Batches are processed strictly in order, so a callback logged after a missed call finds the
ticket the missed call opened. Every call ends in one outcome; one the rules cannot place is a
problem with its reason, kept raw (rejected) for ``hub inbound rejected``, while the rest go in.
Importing the same calls again changes nothing: each is keyed by the PBX's call id.
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
from hub.intake.ingest_engine import Stages
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
    chunks = [calls[start : start + batch_size] for start in range(0, len(calls), batch_size)]
    follow_ups = _FollowUps(hub)
    try:
        # Batch k is processed while batch k+1 is stored (once k's reads are done: the database
        # writes k+1's raw rows while Python decides k) and batch k+2 is read into messages
        # (once k is decided: Python works while the database writes k).
        upcoming = await _prepare(hub, line, chunks[0], summary) if chunks else None
        pending: _Stored | None = None
        for index in range(len(chunks)):
            assert upcoming is not None
            stages = Stages()
            after = chunks[index + 1] if index + 1 < len(chunks) else None
            ahead = asyncio.create_task(_store_and_read_on(hub, line, upcoming, after, summary, stages))
            try:
                if pending is not None:
                    await _finish(hub, pending, summary, follow_ups, stages)
                    if on_done is not None:
                        on_done(len(pending.ready))
            except BaseException:
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)
                raise
            finally:
                stages.release()
            stored, upcoming = await ahead
            if on_done is not None:
                on_done(len(chunks[index]) - len(stored.ready))
            pending = stored
        if pending is not None:
            await _finish(hub, pending, summary, follow_ups, Stages())
            if on_done is not None:
                on_done(len(pending.ready))
    finally:
        await follow_ups.wait()
    summary.problems.sort(key=lambda problem: (problem["file"], problem["line"]))
    return summary


@dataclass(slots=True)
class _Prepared:
    """A batch's calls read into messages: those for tickets, and those kept in the log only."""

    ready: list[tuple[Sourced, InboundMessage]]
    internal: list[tuple[InboundMessage, bytes | None]]


@dataclass(slots=True)
class _Stored:
    """A batch whose raw rows are committed: what :func:`_finish` processes."""

    stored: ingest.StoredMany
    ready: list[tuple[Sourced, InboundMessage]]


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


async def _store_and_read_on(
    hub: Hub,
    line: Line,
    prepared: _Prepared,
    after: Sequence[Sourced] | None,
    summary: Summary,
    stages: Stages,
) -> tuple[_Stored, _Prepared | None]:
    """Commit a prepared batch's raw rows (calls between two extensions kept in the log) once the
    batch being processed has read what it needs, then read the next batch into messages once it
    is decided."""
    await stages.read.wait()
    if prepared.internal:
        for new in await ingest.keep_logged(hub, prepared.internal):
            summary.internal += 1 if new else 0
            summary.duplicate += 0 if new else 1
    # No payload beside the message: the raw row's message holds the whole call already.
    items: list[tuple[InboundMessage, bytes | None]] = [(m, None) for _, m in prepared.ready]
    stored = _Stored(await ingest.store_many(hub, items), prepared.ready)
    if after is None:
        return stored, None
    await stages.decided.wait()
    return stored, await _prepare(hub, line, after, summary)


#: Calls read into messages between two turns of the event loop, so that the statements of the
#: batch being written are sent on soon after each one is done.
_PREPARE_SLICE = 64


async def _prepare(hub: Hub, line: Line, chunk: Sequence[Sourced], summary: Summary) -> _Prepared:
    prepared = _Prepared([], [])
    for n, sourced in enumerate(chunk):
        if n and n % _PREPARE_SLICE == 0:
            await asyncio.sleep(0)
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
            prepared.internal.append((message, None))
        else:
            prepared.ready.append((sourced, message))
    return prepared


async def _finish(
    hub: Hub, pending: _Stored, summary: Summary, follow_ups: _FollowUps, stages: Stages
) -> None:
    events: list[DomainEvent] = []
    try:
        with held_after_commit() as events:
            outcomes = await ingest.process_many(hub, pending.stored, stages=stages)
    finally:  # started outside the block, so that their own commits are heard as usual
        await follow_ups.start(events)
    for (sourced, _), outcome in zip(pending.ready, outcomes, strict=True):
        summary.count(outcome, (sourced.file, sourced.line), sourced.call.call_id)
