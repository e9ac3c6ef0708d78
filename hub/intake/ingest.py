"""The one funnel: every channel's traffic becomes a ticket message here.

Raw first: the payload is committed in its own transaction before any processing, so a bug or
an outage in processing never loses a message; the raw row records the failure and can be
re-driven (``hub inbound retry``). Idempotent on (channel, external id): a replay returns the
first result, and a concurrent duplicate waits on the raw row's lock and then sees that result.

Every way in (one message, a bulk import, a push channel's job, a retry) processes through the
same engine (:mod:`.ingest_engine`), a single message being a batch of one. What follows a
processed message (live updates, the channels' follow-ups) subscribes to its
:class:`hub.intake.events.MessageIngested` event, heard once the processing committed, on every
way in alike (a retried WeChat image gets its media download like one processed at once).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hub import bulk, metrics
from hub.core import Hub
from hub.domain import RawStatus
from hub.errors import HubError, IngestFailed, InvalidInput, NotFound
from hub.intake.inbound import InboundMessage, IngestResult, StoredBatch, StoredInbound
from hub.intake.ingest_engine import ContactRace, Engine, Stages
from hub.models import Channel, ContactIdentity, RawInbound, ThreadRef
from hub.ports import JobRequest
from hub.sla import service as sla
from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

#: What :func:`ingest_many` gives back per message: the result, or the error :func:`ingest` would
#: have raised (InvalidInput before storing, IngestFailed after).
Outcome = IngestResult | HubError
#: The job that processes a payload stored by :func:`store` with ``process_later``.
PROCESS_JOB = "process_inbound"
#: Pushes of one channel stored within one tick share a processing job that runs when the tick ends
#: (see :func:`store`): at 200 pushes/s, 5 jobs a second instead of 200, each processing a batch.
PROCESS_TICK_SECONDS = 0.2
#: A payload still unprocessed this long after it arrived lost its job; the sweep queues it again.
REDRIVE_GRACE = timedelta(seconds=30)


#: The columns' limits, read once: through the mapped attributes they cost a bulk import's batch
#: thousands of descriptor lookups.
_IDENTITY_LENGTH: int = ContactIdentity.value.type.length
_THREAD_REF_LENGTH: int = ThreadRef.ref.type.length


def _validate(hub: Hub, message: InboundMessage) -> None:
    """Refuse up front what could never be processed: stored raw, it would only fail on every retry."""
    if not message.external_id.strip():
        raise InvalidInput(detail="external_id is empty")
    if len(message.external_id) > 500:
        raise InvalidInput(detail="external_id is longer than 500 characters")
    if not message.sender.identity.strip():
        raise InvalidInput(detail="sender identity is empty")
    for name, value, limit in (
        ("sender identity", message.sender.identity, _IDENTITY_LENGTH),
        ("thread_ref", message.thread_ref, _THREAD_REF_LENGTH),
    ):
        if value is not None and len(value) > limit:
            raise InvalidInput(detail=f"{name} is longer than {limit} characters")
    if (message.direction == "outbound") != (message.author_user_id is not None):
        raise InvalidInput(detail="an outbound message needs its author_user_id, and only it has one")
    if message.deliver and message.direction != "outbound":
        raise InvalidInput(detail="only an agent's outbound message can be delivered")
    if not message.reached and message.direction != "outbound":
        raise InvalidInput(detail="only an outbound message can be an attempt that reached nobody")
    if message.answered_at is not None and message.direction != "inbound":
        raise InvalidInput(detail="only an inbound message can be answered on the channel")
    if message.answered_by_user_id is not None and message.answered_at is None:
        raise InvalidInput(detail="answered_by_user_id needs answered_at")
    if message.at_sent_time and (message.sent_at is None or message.sent_at.tzinfo is None):
        raise InvalidInput(detail="at_sent_time needs sent_at with its time zone")
    if not (message.text.strip() or message.html or message.attachments or message.type != "text"):
        raise InvalidInput(detail="the message has no text, html or attachments")
    for item in message.attachments:
        if item.data is None and item.sha256 is None:
            raise InvalidInput(detail=f"attachment {item.filename!r} has no content")
        size = len(item.data) if item.data is not None else (item.size or 0)
        if size > hub.settings.attachment_max_bytes:
            raise InvalidInput(
                detail=f"attachment {item.filename!r} is larger than {hub.settings.attachment_max_bytes} bytes"
            )


def _keyed(message: InboundMessage) -> InboundMessage:
    """A message known by its client's id only (web chat) gets an idempotency key from it, scoped
    to its sender: two visitors' browsers may well number their messages alike."""
    if message.external_id or not message.client_message_id:
        return message
    external_id = f"client:{message.sender.identity}:{message.client_message_id}"
    return msgspec.structs.replace(message, external_id=external_id)


def _store_attachments(hub: Hub, message: InboundMessage) -> InboundMessage:
    """Bytes go to the content-addressed store first; the raw row then keeps only their addresses."""
    if not any(a.data is not None for a in message.attachments):
        return message
    stored = []
    for item in message.attachments:
        if item.data is None:
            stored.append(item)
            continue
        digest = hub.storage.put(item.data)
        stored.append(msgspec.structs.replace(item, data=None, sha256=digest, size=len(item.data)))
    return msgspec.structs.replace(message, attachments=tuple(stored))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable_text(text: str) -> str:
    text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _LONE_SURROGATE.sub("\ufffd", text)
    return text


def _without_unstorable(value: Any) -> Any:
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, list | tuple):
        return [_without_unstorable(v) for v in value]
    if isinstance(value, dict):
        return {_without_unstorable(k): _without_unstorable(v) for k, v in value.items()}
    return value


def _storable(message: InboundMessage) -> InboundMessage:
    """Drop NUL characters and replace lone surrogates (by U+FFFD), which PostgreSQL refuses in
    text and jsonb and JSON encoders refuse too.

    Broken mailers and clients do send NULs, and a parser keeps undecodable bytes as lone
    surrogates (``surrogateescape``: an RFC 2231 file name in a charset that does not decode it);
    left in, the raw insert itself fails and the message could never be stored. The channel's
    original bytes (``payload``) are kept untouched.
    """
    try:  # the usual case, in one pass of C: no lone surrogate (the encoder refuses those), no NUL
        if b"\\u0000" not in msgspec.json.encode(message):
            return message
    except UnicodeEncodeError:
        pass
    builtins = msgspec.to_builtins(message)
    cleaned = _without_unstorable(builtins)
    return message if cleaned == builtins else msgspec.convert(cleaned, InboundMessage)


async def store(
    hub: Hub, message: InboundMessage, *, payload: bytes | None = None, process_later: bool = False
) -> StoredInbound:
    """Commit the payload raw (idempotent on channel and external id) and nothing else.

    Push channels that must answer within seconds (WeChat: 5 s) call this, answer, and leave the
    processing to the ``process_inbound`` job (``process_later``), queued only after the commit and
    only while the payload is unprocessed, so a retried callback neither waits nor queues twice.

    The insert is one autocommitted statement: one database round trip for a new payload, where a
    transaction around it cost three (BEGIN, INSERT, COMMIT). Under a steady stream of pushes every
    round trip wakes PostgreSQL and hands the CPU away mid-request, so the slowest answers follow
    their count (``bench/wechat_webhook.py``; its figures are in the README's *Measured*).
    """
    message = _keyed(_storable(message))
    _validate(hub, message)
    message = _store_attachments(hub, message)
    row = {
        "id": uuid.uuid4(),
        "channel_id": message.channel_id,
        "external_id": message.external_id,
        "message": msgspec.to_builtins(message),
        "payload": payload,
        "received_at": hub.clock.now(),
    }
    try:
        kind, raw_id, status = await _insert_raw(hub, row)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The pool does not ping every connection it hands out (hub.db): one dropped by a database
        # restart fails here once, and the pool replaces it. The insert is idempotent; try again.
        kind, raw_id, status = await _insert_raw(hub, row)
    new = raw_id == row["id"]
    if process_later and status is RawStatus.RECEIVED:
        await _queue_processing(hub, message.channel_id, raw_id)
    if process_later:
        metrics.INGESTED.labels(channel=kind, outcome="accepted" if new else "duplicate").inc()
    return StoredInbound(raw_id=raw_id, new=new, channel_kind=kind)


_RAW = RawInbound.__table__


async def _insert_raw(hub: Hub, row: dict[str, Any]) -> tuple[str, uuid.UUID, RawStatus]:
    """The channel's kind, and the raw row's id and status: ``row``'s own when it is new, else the
    first copy's (a retry, a replay)."""
    async with hub.session_factory() as session:
        connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        kind = await _channel_kind(connection, row["channel_id"])
        raw_id = await connection.scalar(
            insert(_RAW)
            .values(row)
            .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
            .returning(_RAW.c.id)
        )
        if raw_id is not None:
            return kind, raw_id, RawStatus.RECEIVED
        found = (
            await connection.execute(
                sa.select(_RAW.c.id, _RAW.c.status).where(
                    _RAW.c.channel_id == row["channel_id"], _RAW.c.external_id == row["external_id"]
                )
            )
        ).one()
        return kind, found.id, RawStatus(found.status)


async def _queue_processing(hub: Hub, channel_id: uuid.UUID, raw_id: uuid.UUID) -> None:
    """Queue the channel's processing job for this tick, once per tick and process.

    One job per channel and tick, run once the tick is over: it processes everything its channel
    stored and left unprocessed. The tick is read after the commit, so the job (deferred to the
    tick's end) always finds this payload committed. The job id makes arq refuse duplicates, but
    asking costs Redis three round trips (WATCH, the checks, MULTI/EXEC) on every push; this
    process remembers the tick it already queued for, so only its first push in a tick asks. A
    job lost anyway (Redis restarted, or a clock between web and worker hosts far off) is queued
    again by the re-drive sweep (:data:`REDRIVE_GRACE`); the payload is never lost. Best effort like
    :meth:`hub.uow.UnitOfWork.commit`: the database is the truth, and a failed enqueue is not
    remembered, so the next push asks again.
    """
    clock = time.time()
    tick = int(clock / PROCESS_TICK_SECONDS)
    if hub.queued_ticks.get(channel_id) == tick:
        return
    job = JobRequest(
        function=PROCESS_JOB,
        args=(str(raw_id),),
        job_id=f"{PROCESS_JOB}:{channel_id}:{tick}",
        defer_seconds=max((tick + 1) * PROCESS_TICK_SECONDS - clock, 0.001),
    )
    try:
        await hub.jobs.enqueue([job])
    except Exception:
        log.exception("queueing the processing of inbound %s failed; the re-drive sweep will", raw_id)
        return
    hub.queued_ticks[channel_id] = tick


#: Channel id -> kind. A channel's kind never changes, and this lookup sits on the path a push
#: channel must answer within seconds, where an ORM ``get`` per push was a large share of the store.
_KINDS: dict[uuid.UUID, str] = {}


async def _channel_kind(session: AsyncSession | AsyncConnection, channel_id: uuid.UUID) -> str:
    kind = _KINDS.get(channel_id)
    if kind is None:
        found = await session.scalar(sa.select(Channel.kind).where(Channel.id == channel_id))
        if found is None:
            raise NotFound(what="channel")
        kind = _KINDS[channel_id] = found.value
    return kind


async def ingest(hub: Hub, message: InboundMessage, *, payload: bytes | None = None) -> IngestResult:
    started = time.perf_counter()
    stored = await store(hub, message, payload=payload)
    result = await process_raw(hub, stored.raw_id)
    kind = stored.channel_kind
    metrics.INGESTED.labels(channel=kind, outcome="duplicate" if result.duplicate else "stored").inc()
    metrics.INGEST_SECONDS.labels(channel=kind).observe(time.perf_counter() - started)
    return result


async def ingest_many(hub: Hub, items: Sequence[tuple[InboundMessage, bytes | None]]) -> list[Outcome]:
    """Store raw, then process, a batch of messages in order: one outcome per item, the result or
    the error :func:`ingest` would have raised (InvalidInput before storing, IngestFailed after)."""
    return await process_many(hub, await store_many(hub, items))


@dataclass(slots=True)
class StoredMany:
    """A batch whose raw rows are committed (:func:`store_many`), waiting for :func:`process_many`."""

    started: float
    #: Per item: the error that refused it before storing, or ``None`` (stored).
    refused: list[HubError | None]
    #: (item index, message as stored, payload) of every stored item, in order.
    ready: list[tuple[int, InboundMessage, bytes | None]]
    raw_ids: list[uuid.UUID]
    new: set[uuid.UUID]
    kinds: dict[uuid.UUID, str]


async def store_many(hub: Hub, items: Sequence[tuple[InboundMessage, bytes | None]]) -> StoredMany:
    """Validate and commit a batch's raw rows (one statement), a (channel, external id) seen before
    (in the database or earlier in the batch) being a duplicate, as always.

    A bulk importer may store batch k+1 (on its own connection) while batch k is processed: the
    raw rows are then safe and the database's two halves of the work overlap. Batches must still
    be *processed* in order, each after the previous one committed."""
    started = time.perf_counter()
    refused: list[HubError | None] = [None] * len(items)
    ready: list[tuple[int, InboundMessage, bytes | None]] = []
    for index, (message, payload) in enumerate(items):
        try:
            message = _keyed(_storable(message))
            _validate(hub, message)
            ready.append((index, _store_attachments(hub, message), payload))
        except HubError as exc:
            refused[index] = exc
    raw_ids, new, kinds = await _store_many(hub, ready) if ready else ([], set(), {})
    return StoredMany(started, refused, ready, raw_ids, new, kinds)


#: The message already encoded by msgspec (several times cheaper than json.dumps), cast in SQL.
_INSERT_RAW = bulk.insert_rows(
    _RAW,
    ["id", "channel_id", "external_id", "payload", "received_at"],
    derived={"message": bulk.Input("message_json", "text", read='CAST(u."message_json" AS jsonb)')},
    suffix="ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id",
)


async def _store_many(
    hub: Hub, ready: list[tuple[int, InboundMessage, bytes | None]]
) -> tuple[list[uuid.UUID], set[uuid.UUID], dict[uuid.UUID, str]]:
    now = hub.clock.now()
    async with hub.uow() as uow:
        kinds = {}
        for _, message, _ in ready:
            if message.channel_id not in kinds:
                kinds[message.channel_id] = await _channel_kind(uow.session, message.channel_id)
        rows: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
        new_id = bulk.RandomIds()
        for _, message, payload in ready:
            key = (message.channel_id, message.external_id)
            if key not in rows:
                rows[key] = {
                    "id": new_id(),
                    "channel_id": message.channel_id,
                    "external_id": message.external_id,
                    "message_json": msgspec.json.encode(message).decode(),
                    "payload": payload,
                    "received_at": now,
                }
        connection = await uow.session.connection()
        inserted = await _INSERT_RAW.execute(connection, list(rows.values()))
        new = set(inserted.scalars())
        ids = {key: row["id"] for key, row in rows.items() if row["id"] in new}
        missing = [key for key in rows if key not in ids]
        if missing:
            found = await connection.execute(
                sa.select(_RAW.c.channel_id, _RAW.c.external_id, _RAW.c.id).where(
                    sa.tuple_(_RAW.c.channel_id, _RAW.c.external_id).in_(missing)
                )
            )
            ids.update({(c, e): i for c, e, i in found})
        await uow.commit()
    return [ids[(m.channel_id, m.external_id)] for _, m, _ in ready], new, kinds


async def process_many(hub: Hub, stored: StoredMany, *, stages: Stages | None = None) -> list[Outcome]:
    """Process a stored batch in order (one transaction, the engine once): one outcome per item
    given to :func:`store_many`; ``stages`` tells how far it got (:class:`Stages`)."""
    try:
        return await _process_many(hub, stored, stages)
    finally:
        if stages is not None:
            stages.release()


async def _process_many(hub: Hub, stored: StoredMany, stages: Stages | None) -> list[Outcome]:
    outcomes: list[Outcome | None] = list(stored.refused)
    if not stored.ready:
        return [o for o in outcomes if o is not None]
    entries = [(raw_id, m) for raw_id, (_, m, _) in zip(stored.raw_ids, stored.ready, strict=True)]
    by_raw: dict[uuid.UUID, Outcome] = {}
    first: dict[uuid.UUID, int] = {}
    async with hub.uow() as uow:
        connection = await uow.session.connection()
        ids = sorted({raw_id for raw_id, _ in entries})
        raws = {
            row.id: row
            for row in await connection.execute(
                sa.select(_RAW.c.id, _RAW.c.status, _RAW.c.error, _RAW.c.ticket_id, _RAW.c.message_id)
                .where(bulk.any_of(_RAW.c.id, ids))
                .order_by(_RAW.c.id)
                .with_for_update()
            )
        }
        # Stored before this batch and not processed: processed from what was stored, as a retry is.
        again = [
            i for i, row in raws.items() if row.status is not RawStatus.PROCESSED and i not in stored.new
        ]
        stored_before: dict[uuid.UUID, InboundMessage] = {}
        if again:
            for raw_id, message in await connection.execute(
                sa.select(_RAW.c.id, _RAW.c.message).where(_RAW.c.id.in_(again))
            ):
                if raws[raw_id].status is not RawStatus.REJECTED:
                    stored_before[raw_id] = msgspec.convert(message, InboundMessage)
        todo: list[tuple[uuid.UUID, InboundMessage]] = []
        for index, (raw_id, message) in enumerate(entries):
            row = raws[raw_id]
            if raw_id in first:
                continue
            first[raw_id] = index
            if row.status is RawStatus.REJECTED:
                by_raw[raw_id] = _rejected(raw_id, row.error)
            elif row.status is RawStatus.PROCESSED:
                by_raw[raw_id] = IngestResult(
                    ticket_id=row.ticket_id, message_id=row.message_id, duplicate=True
                )
            else:
                todo.append((raw_id, stored_before.get(raw_id, message)))
        if todo:
            by_raw.update(await _run(hub, uow, todo, stages))
        await uow.commit()
    elapsed = (time.perf_counter() - stored.started) / len(stored.ready)
    for index, ((position, message, _), (raw_id, _)) in enumerate(zip(stored.ready, entries, strict=True)):
        outcome = by_raw[raw_id]
        if first[raw_id] != index and isinstance(outcome, IngestResult):
            outcome = msgspec.structs.replace(outcome, duplicate=True, created_ticket=False)
        outcomes[position] = outcome
        kind = stored.kinds[message.channel_id]
        if isinstance(outcome, IngestResult):
            label = "duplicate" if outcome.duplicate else "stored"
            metrics.INGESTED.labels(channel=kind, outcome=label).inc()
            metrics.INGEST_SECONDS.labels(channel=kind).observe(elapsed)
    return [o for o in outcomes if o is not None]


def _rejected(raw_id: uuid.UUID, reason: str | None) -> InvalidInput:
    return InvalidInput(detail=f"payload {raw_id} was rejected ({reason}); it is kept, never processed")


async def process_raw(hub: Hub, raw_id: uuid.UUID) -> IngestResult:
    """Process one stored payload (a batch of one), exactly once however often it is called.
    ``hub inbound retry`` runs this."""
    async with hub.uow() as uow:
        connection = await uow.session.connection()
        raw = (
            await connection.execute(
                sa.select(
                    _RAW.c.status,
                    _RAW.c.error,
                    _RAW.c.ticket_id,
                    _RAW.c.message_id,
                    _RAW.c.message,
                    _RAW.c.channel_id,
                )
                .where(_RAW.c.id == raw_id)
                .with_for_update()
            )
        ).one_or_none()
        if raw is None:
            raise NotFound(what="message")
        if raw.status is RawStatus.PROCESSED:
            return IngestResult(ticket_id=raw.ticket_id, message_id=raw.message_id, duplicate=True)
        if raw.status is RawStatus.REJECTED:
            raise _rejected(raw_id, raw.error)
        message = msgspec.convert(raw.message, InboundMessage)
        outcome = (await _run(hub, uow, [(raw_id, message)]))[raw_id]
        await uow.commit()
    if isinstance(outcome, HubError):
        raise outcome
    return outcome


#: How many stored payloads one ``process_inbound`` job takes at most. Under a steady stream a job
#: takes what arrived while the previous one ran (a few dozen at 200 pushes/s), so this only bounds
#: the transaction after an outage left a backlog.
STORED_BATCH = 200


async def process_stored(hub: Hub, raw_id: uuid.UUID, *, limit: int = STORED_BATCH) -> StoredBatch:
    """Process ``raw_id``'s channel's stored, unprocessed payloads (up to ``limit``, oldest first) in
    one batch: what the ``process_inbound`` job of a push channel does.

    A push channel stores each payload and queues one job for it (:func:`store`); under load most
    of those jobs find their payload already taken by an earlier job's batch and end at once.
    Payloads are claimed with ``FOR UPDATE SKIP LOCKED``, so several workers split a backlog instead
    of queueing behind each other, and a payload being processed elsewhere is left to that worker.
    """
    async with hub.uow() as uow:
        connection = await uow.session.connection()
        channel_id = sa.select(_RAW.c.channel_id).where(_RAW.c.id == raw_id).scalar_subquery()
        rows = (
            await connection.execute(
                sa.select(_RAW.c.id, _RAW.c.message, _RAW.c.channel_id)
                .where(_RAW.c.channel_id == channel_id, _RAW.c.status == RawStatus.RECEIVED)
                .order_by(_RAW.c.received_at, _RAW.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:  # taken by an earlier job's batch, or by another worker right now
            return StoredBatch(None, [])
        kind = await _channel_kind(connection, rows[0].channel_id)
        claimed = [(row.id, msgspec.convert(row.message, InboundMessage)) for row in rows]
        outcomes = await _run(hub, uow, claimed)
        await uow.commit()
    return StoredBatch(kind, [(row_id, m, outcomes[row_id]) for row_id, m in claimed])


#: PostgreSQL's deadlock and serialization failures: the work is sound, another transaction was in
#: the way; running it again succeeds.
_TRANSIENT = frozenset({"40P01", "40001"})


def _transient(exc: Exception) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _TRANSIENT


async def _run(
    hub: Hub,
    uow: UnitOfWork,
    rows: list[tuple[uuid.UUID, InboundMessage]],
    stages: Stages | None = None,
) -> dict[uuid.UUID, Outcome]:
    """The engine over locked, unprocessed raw rows, in a savepoint of the caller's transaction.

    A batch that lost a race (a contact created concurrently, a deadlock) runs once more. Failures
    stay per message: if the batch fails, each message is processed again alone in its
    own savepoint, and one that still fails is marked failed on its raw row (with nothing of its
    work, events or jobs kept) while the rest land.
    """
    connection = await uow.session.connection()
    context = await sla.SlaContext.load(uow.session, hub.settings)
    failure: Exception | None = None
    for _ in range(2):
        try:
            async with uow.savepoint():
                return dict(await Engine(hub, uow, connection, context).run(rows, stages))
        except ContactRace as exc:
            failure = exc  # the other side's contacts are committed now: the lookup finds them
        except Exception as exc:
            failure = exc
            if not _transient(exc):
                break
    assert failure is not None
    if len(rows) > 1:
        log.warning(
            "batch of %d inbound message(s) failed as a whole; processing them one by one",
            len(rows),
            exc_info=failure,
        )
        outcomes: dict[uuid.UUID, Outcome] = {}
        for row in rows:
            outcomes.update(await _run(hub, uow, [row]))
        return outcomes
    raw_id, message = rows[0]
    error = _storable_text(f"{type(failure).__name__}: {failure}")[:2000]
    await connection.execute(
        sa.update(_RAW)
        .where(_RAW.c.id == raw_id)
        .values(status=RawStatus.FAILED, attempts=_RAW.c.attempts + 1, error=error)
    )
    metrics.INGEST_FAILURES.inc()
    log.error(
        "processing inbound %s failed; stored as raw %s for retry",
        message.external_id,
        raw_id,
        exc_info=failure,
    )
    # Only a domain error's text is meant for the sender. Anything else can quote SQL and its
    # parameters (other people's data); it stays in the raw row and the log.
    detail = str(failure) if isinstance(failure, HubError) else "processing_error"
    return {raw_id: IngestFailed(detail=detail, raw_id=str(raw_id), error=error)}


async def keep_unreadable(
    hub: Hub, channel_id: uuid.UUID, *, external_id: str, payload: bytes, reason: str
) -> StoredInbound:
    """Keep an authentic payload the channel could not turn into a message (malformed XML, a mail
    with no headers), marked rejected with the reason.

    Nothing a channel receives is dropped: the bytes stay for an operator (``hub inbound rejected``)
    and for a later, better parser; it is never processed. The caller derives ``external_id`` from
    the bytes, so the same payload sent again is stored once and its ``attempts`` counts how many
    times it arrived.
    """
    # The same rule as for messages: what a broken payload puts in its key or its parser's reason
    # must not stop it being kept.
    external_id, reason = _storable_text(external_id), _storable_text(reason)
    async with hub.uow() as uow:
        row: sa.Row[uuid.UUID, bool] | None = (
            await uow.session.execute(
                insert(RawInbound)
                .values(
                    id=uuid.uuid4(),
                    channel_id=channel_id,
                    external_id=external_id[:500],
                    message={},
                    payload=payload,
                    status=RawStatus.REJECTED,
                    attempts=1,
                    error=reason[:2000],
                    received_at=hub.clock.now(),
                )
                .on_conflict_do_update(
                    index_elements=["channel_id", "external_id"],
                    set_={"attempts": RawInbound.attempts + 1},
                    where=RawInbound.status == RawStatus.REJECTED,
                )
                .returning(RawInbound.id, sa.literal_column("xmax = 0", sa.Boolean()))
            )
        ).one_or_none()
        if row is None:  # the key already names a readable payload: that one stands
            row = (
                await uow.session.execute(
                    sa.select(RawInbound.id, sa.false()).where(
                        RawInbound.channel_id == channel_id,
                        RawInbound.external_id == external_id[:500],
                    )
                )
            ).one()
        kind = await _channel_kind(uow.session, channel_id)
        await uow.commit()
    metrics.INGEST_FAILURES.inc()
    return StoredInbound(raw_id=row[0], new=bool(row[1]), channel_kind=kind)


async def keep_logged(hub: Hub, items: Sequence[tuple[InboundMessage, bytes | None]]) -> list[bool]:
    """Keep traffic the channel logs but that asks nothing of anyone (a call between two of our
    own extensions): stored raw and marked processed at once, with no ticket, so it stays in the
    channel's log (``raw_inbound``) and is never processed later. Idempotent like every store:
    per item, whether it is new."""
    now = hub.clock.now()
    rows: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    for message, payload in items:
        message = _storable(message)
        _validate(hub, message)
        rows.setdefault(
            (message.channel_id, message.external_id),
            {
                "id": uuid.uuid4(),
                "channel_id": message.channel_id,
                "external_id": message.external_id,
                "message": msgspec.to_builtins(message),
                "payload": payload,
                "status": RawStatus.PROCESSED,
                "attempts": 1,
                "received_at": now,
                "processed_at": now,
            },
        )
    if not rows:
        return []
    async with hub.uow() as uow:
        inserted = set(
            (
                await uow.session.execute(
                    insert(_RAW)
                    .values(list(rows.values()))
                    .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
                    .returning(_RAW.c.id)
                )
            ).scalars()
        )
        await uow.commit()
    seen: set[tuple[uuid.UUID, str]] = set()
    new = []
    for message, _ in items:
        key = (message.channel_id, message.external_id)
        new.append(key not in seen and rows[key]["id"] in inserted)
        seen.add(key)
    return new


async def redrive_received(hub: Hub, *, older_than: timedelta = REDRIVE_GRACE, limit: int = 500) -> int:
    """Queue processing again for payloads accepted but still unprocessed (their job was lost)."""
    async with hub.uow() as uow:
        ids = list(
            await uow.session.scalars(
                sa.select(RawInbound.id)
                .where(
                    RawInbound.status == RawStatus.RECEIVED,
                    RawInbound.received_at <= hub.clock.now() - older_than,
                )
                .order_by(RawInbound.received_at)
                .limit(limit)
            )
        )
        for raw_id in ids:
            uow.enqueue(PROCESS_JOB, str(raw_id), job_id=f"{PROCESS_JOB}:{raw_id}:redrive")
        await uow.commit()
    if ids:
        log.info("re-driving %d unprocessed inbound payload(s)", len(ids))
    return len(ids)


async def channel_holding(hub: Hub, external_id: str, among: list[uuid.UUID]) -> uuid.UUID | None:
    """Which of ``among`` already stored ``external_id`` (first one stored wins).

    A channel with several instances that may receive the same message (one mail copied to two
    mailboxes) routes the copies to the instance that has it, so the (channel, external id) key
    dedupes them into one message.
    """
    if not among:
        return None
    async with hub.uow() as uow:
        return await uow.session.scalar(
            sa.select(RawInbound.channel_id)
            .where(RawInbound.external_id == external_id, RawInbound.channel_id.in_(among))
            .order_by(RawInbound.received_at)
            .limit(1)
        )


async def stored_message(hub: Hub, raw_id: uuid.UUID) -> tuple[str, InboundMessage]:
    """A stored payload's channel kind and message, for what its channel does after processing."""
    async with hub.uow() as uow:
        row = (
            await uow.session.execute(
                sa.select(Channel.kind, RawInbound.message)
                .join(Channel, Channel.id == RawInbound.channel_id)
                .where(RawInbound.id == raw_id)
            )
        ).one_or_none()
    if row is None:
        raise NotFound(what="message")
    return row[0].value, msgspec.convert(row[1], InboundMessage)


async def failed_inbound(
    hub: Hub, *, limit: int = 1000, status: RawStatus = RawStatus.FAILED
) -> list[RawInbound]:
    """Payloads whose processing failed (retryable), or with ``REJECTED`` the ones kept unread."""
    async with hub.uow() as uow:
        rows = await uow.session.scalars(
            sa.select(RawInbound)
            .where(RawInbound.status == status)
            .order_by(RawInbound.received_at)
            .limit(limit)
        )
        return list(rows)
