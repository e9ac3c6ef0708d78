"""The one funnel: every channel's traffic becomes a ticket message here.

Raw first: the payload is committed in its own transaction before any processing, so a bug or
an outage in processing never loses a message; the raw row records the failure and can be
re-driven (``hub inbound retry``). Idempotent on (channel, external id): a replay returns the
first result, and a concurrent duplicate waits on the raw row's lock and then sees that result.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hub import metrics, realtime, search
from hub.actors import CHANNEL
from hub.core import Hub
from hub.domain import Direction, RawStatus, TicketEventKind, TicketStatus
from hub.errors import HubError, IngestFailed, InvalidInput, NotFound
from hub.html import sanitise
from hub.inbound import InboundAttachment, InboundMessage, IngestResult, StoredInbound
from hub.models import (
    Attachment,
    Channel,
    Contact,
    ContactIdentity,
    Message,
    RawInbound,
    ThreadRef,
    Ticket,
)
from hub.ports import JobRequest
from hub.services import assignment, audit, contacts, sla, timeline, windows
from hub.services.threading_rules import find_ticket
from hub.status import events_for
from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

_SUBJECT_FROM_TEXT = 80
#: The job that processes a payload stored by :func:`store` with ``process_later``.
PROCESS_JOB = "process_inbound"
#: Pushes of one channel stored within one tick share a processing job that runs when the tick ends
#: (see :func:`store`): at 200 pushes/s, 5 jobs a second instead of 200, each processing a batch.
PROCESS_TICK_SECONDS = 0.2
#: A payload still unprocessed this long after it arrived lost its job; the sweep queues it again.
REDRIVE_GRACE = timedelta(seconds=30)


def _validate(hub: Hub, message: InboundMessage) -> None:
    """Refuse up front what could never be processed: stored raw, it would only fail on every retry."""
    if not message.external_id.strip():
        raise InvalidInput(detail="external_id is empty")
    if len(message.external_id) > 500:
        raise InvalidInput(detail="external_id is longer than 500 characters")
    if not message.sender.identity.strip():
        raise InvalidInput(detail="sender identity is empty")
    for name, value, limit in (
        ("sender identity", message.sender.identity, ContactIdentity.value.type.length),
        ("thread_ref", message.thread_ref, ThreadRef.ref.type.length),
    ):
        if value is not None and len(value) > limit:
            raise InvalidInput(detail=f"{name} is longer than {limit} characters")
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
    transaction around it cost three (BEGIN, INSERT, COMMIT). At 200 WeChat pushes a second on two
    cores, every round trip wakes PostgreSQL and hands the CPU away mid-request; the p99 latency
    followed their count (``bench/wechat_webhook.py``).
    """
    message = _storable(message)
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
#: channel must answer within seconds (at 200 pushes/s the ORM ``get`` was a third of the store).
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
    async with hub.uow() as uow:
        row = (
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
                .returning(RawInbound.id, sa.literal_column("xmax = 0"))
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


async def process_raw(hub: Hub, raw_id: uuid.UUID) -> IngestResult:
    """Process one stored payload, exactly once however often it is called, then queue what its
    channel wants next (:func:`follow_up`)."""
    result, kind, message = await _process_raw(hub, raw_id)
    if message is not None:
        await follow_up(hub, kind, [(message, result)])
    return result


async def follow_up(
    hub: Hub, channel_kind: str, processed: list[tuple[InboundMessage, IngestResult]]
) -> None:
    """Queue the jobs the channel wants for messages just processed (after their commit).

    Every path runs this (push, bulk import, ``hub inbound retry``), so a message recovered by a
    retry gets its media downloaded like one processed at once. Best effort, like the jobs of
    :meth:`hub.uow.UnitOfWork.commit`: the messages are committed, and a lost follow-up only
    leaves media to fetch by hand or a profile to refresh on the sender's next message.
    """
    fresh = [(m, r) for m, r in processed if not r.duplicate]
    if hub.follow_ups is None or not fresh:
        return
    try:
        jobs = await hub.follow_ups(hub, channel_kind, fresh)
        if jobs:
            await hub.jobs.enqueue(jobs)
    except Exception:
        log.exception("queueing the follow-ups of %d %s message(s) failed", len(fresh), channel_kind)


async def _process_raw(hub: Hub, raw_id: uuid.UUID) -> tuple[IngestResult, str, InboundMessage | None]:
    """Process one stored payload; its result, its channel's kind and (unless it was processed
    before) its message."""
    async with hub.uow() as uow:
        raw = await uow.session.scalar(sa.select(RawInbound).where(RawInbound.id == raw_id).with_for_update())
        if raw is None:
            raise NotFound(what="message")
        kind = await _channel_kind(uow.session, raw.channel_id)
        if raw.status is RawStatus.PROCESSED:
            duplicate = IngestResult(ticket_id=raw.ticket_id, message_id=raw.message_id, duplicate=True)
            return duplicate, kind, None
        if raw.status is RawStatus.REJECTED:
            raise InvalidInput(
                detail=f"payload {raw_id} was rejected ({raw.error}); it is kept, never processed"
            )
        message = msgspec.convert(raw.message, InboundMessage)
        try:
            async with uow.savepoint():
                result = await _process(hub, uow, message)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            raw.status = RawStatus.FAILED
            raw.attempts += 1
            raw.error = error
            await uow.commit()
            metrics.INGEST_FAILURES.inc()
            log.exception(
                "processing inbound %s failed; stored as raw %s for retry", message.external_id, raw_id
            )
            # Only a domain error's text is meant for the sender. Anything else can quote SQL and
            # its parameters (other people's data); it stays in the raw row and the log.
            detail = str(exc) if isinstance(exc, HubError) else "processing_error"
            raise IngestFailed(detail=detail, raw_id=str(raw_id), error=error) from exc
        raw.status = RawStatus.PROCESSED
        raw.attempts += 1
        raw.error = None
        raw.ticket_id = result.ticket_id
        raw.message_id = result.message_id
        raw.processed_at = hub.clock.now()
        await uow.commit()
        return result, kind, message


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


async def _process(hub: Hub, uow: UnitOfWork, message: InboundMessage) -> IngestResult:
    session = uow.session
    now = hub.clock.now()
    channel = await session.get(Channel, message.channel_id)
    if channel is None:
        raise NotFound(what="channel")
    contact = await contacts.resolve(
        session, channel.kind, message.sender.identity, message.sender.name, now=now
    )
    await _note_identity(session, channel, message, now=now)
    match = await find_ticket(
        session,
        channel,
        contact.id,
        message,
        now=now,
        thread_window=timedelta(hours=hub.settings.thread_window_hours),
        reopen_window=timedelta(days=hub.settings.reopen_window_days),
    )
    ticket = match.ticket
    if ticket is None and not message.opens_ticket:
        ticket = await _latest_ticket(session, channel.id, contact.id)
        if ticket is None:
            # A notice (an unfollow, a menu link) from someone with no conversation here: kept raw
            # and on their identity; a ticket of its own would only be work for nobody.
            return IngestResult(ticket_id=None, message_id=None, duplicate=False)
    created = ticket is None
    if ticket is None:
        ticket = await _open_ticket(
            uow, channel, contact, message, now=now, linked=match.too_old or match.quoted, rule=match.rule
        )
    elif message.opens_ticket:
        await _wake(uow, ticket, message, now=now)
    if message.thread_ref:
        await session.execute(
            insert(ThreadRef)
            .values(
                id=uuid.uuid4(),
                channel_id=channel.id,
                ref=message.thread_ref,
                ticket_id=ticket.id,
                created_at=now,
            )
            .on_conflict_do_update(index_elements=["channel_id", "ref"], set_={"ticket_id": ticket.id})
        )
    stored = await _append_message(uow, ticket, channel, contact, message, now=now)
    if created:
        choice = await assignment.route(session, ticket, now)
        await assignment.assign(uow, ticket, choice.user_id, actor=CHANNEL, reason=choice.reason, now=now)
    await sla.refresh(uow, ticket)
    channels = realtime.for_ticket(
        team_id=ticket.team_id, assignee_id=ticket.assignee_id, organization_id=ticket.organization_id
    )
    uow.publish(
        "ticket.created" if created else "message.created",
        channels,
        ticket_id=str(ticket.id),
        number=ticket.number,
        message_id=str(stored.id),
        subject=ticket.subject,
        status=ticket.status.value,
    )
    return IngestResult(ticket_id=ticket.id, message_id=stored.id, duplicate=False, created_ticket=created)


async def _note_identity(
    session: AsyncSession, channel: Channel, message: InboundMessage, *, now: datetime
) -> None:
    """What the message says about its sender's address: a reply window it opens, a follow or unfollow."""
    if message.window is None and message.sender_status is None:
        return
    identity = await contacts.identity(session, channel.kind, message.sender.identity)
    if identity is None:
        return
    if message.sender_status == "left":
        identity.left_at = now
    elif message.sender_status == "joined":
        identity.left_at = None
    if message.window is not None:
        await windows.grant(session, channel.id, identity.id, message.window, now=now)


async def _latest_ticket(
    session: AsyncSession, channel_id: uuid.UUID, contact_id: uuid.UUID
) -> Ticket | None:
    return await session.scalar(
        sa.select(Ticket)
        .where(Ticket.contact_id == contact_id, Ticket.channel_id == channel_id)
        .order_by(Ticket.last_message_at.desc())
        .limit(1)
    )


async def _open_ticket(
    uow: UnitOfWork,
    channel: Channel,
    contact: Contact,
    message: InboundMessage,
    *,
    now: datetime,
    linked: Ticket | None,
    rule: str = "new",
) -> Ticket:
    subject = (message.subject or "").strip() or _subject_from(message)
    ticket = Ticket(
        id=uuid.uuid4(),
        subject=subject[:500],
        status=TicketStatus.NEW,
        contact_id=contact.id,
        organization_id=contact.organization_id,
        channel_id=channel.id,
        channel_kind=channel.kind,
        team_id=channel.team_id,
        reply_token=secrets.token_hex(12),
        linked_ticket_id=linked.id if linked else None,
        created_at=now,
        updated_at=now,
        last_message_at=now,
        search=search.document(subject, contact.name),
    )
    uow.session.add(ticket)
    await uow.session.flush()
    await uow.session.refresh(ticket, ["number"])
    timeline.append(
        uow.session,
        ticket.id,
        TicketEventKind.CREATED,
        at=now,
        channel_kind=channel.kind,
        linked_ticket_id=linked.id if linked else None,
    )
    audit.record(
        uow.session,
        CHANNEL,
        "ticket.created",
        "ticket",
        ticket.id,
        at=now,
        after={"number": ticket.number, "channel_id": str(channel.id), "contact_id": str(contact.id)},
        reason=_link_reason(linked, rule),
    )
    return ticket


def _link_reason(linked: Ticket | None, rule: str) -> str | None:
    if linked is None:
        return None
    if rule == "ticket_number_not_participant":
        return f"quoted ticket #{linked.number} by someone outside it"
    return f"late reply to closed ticket #{linked.number}"


def _subject_from(message: InboundMessage) -> str:
    first_line = next((line.strip() for line in message.text.splitlines() if line.strip()), "")
    if not first_line:
        return f"[{message.type}]"
    if len(first_line) <= _SUBJECT_FROM_TEXT:
        return first_line
    return first_line[: _SUBJECT_FROM_TEXT - 1] + "…"


def wakes(message: InboundMessage, status: TicketStatus) -> bool:
    """Whether this message reopens a ticket in ``status`` (or ends a wait on the client)."""
    return not message.is_auto and status in (
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
        TicketStatus.PENDING,
    )


async def _wake(uow: UnitOfWork, ticket: Ticket, message: InboundMessage, *, now: datetime) -> None:
    """A client's message reopens a resolved or closed ticket and ends a wait on them; auto-replies do neither.

    The log gets the same events as an agent's move (``status_changed`` plus the typed events of
    :func:`hub.status.events_for`), so the status history rebuilt from events has no gaps.
    """
    if not wakes(message, ticket.status):
        return
    previous = ticket.status
    ticket.status = TicketStatus.OPEN
    timeline.append(
        uow.session,
        ticket.id,
        TicketEventKind.STATUS_CHANGED,
        at=now,
        previous=previous,
        status=TicketStatus.OPEN,
        by="customer",
    )
    for kind in events_for(previous, TicketStatus.OPEN):
        timeline.append(uow.session, ticket.id, kind, at=now, previous=previous, by="customer")
    if previous is TicketStatus.PENDING:
        return
    ticket.reopen_count += 1
    ticket.resolved_at = None
    ticket.closed_at = None
    audit.record(
        uow.session,
        CHANNEL,
        "ticket.reopened",
        "ticket",
        ticket.id,
        at=now,
        before={"status": previous.value},
        after={"status": "open"},
        reason="customer replied",
    )


async def _append_message(
    uow: UnitOfWork,
    ticket: Ticket,
    channel: Channel,
    contact: Contact,
    message: InboundMessage,
    *,
    now: datetime,
) -> Message:
    stored = Message(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        direction=Direction.INBOUND,
        type=message.type,
        channel_id=channel.id,
        author_contact_id=contact.id,
        text=message.text,
        html=sanitise(message.html) if message.html else None,
        external_id=message.external_id,
        is_auto=message.is_auto,
        meta=message.meta,
        sent_at=message.sent_at,
        created_at=now,
        search=search.document(message.subject, message.text),
    )
    uow.session.add(stored)
    # Attachment has no relationship() to Message, so the unit of work does not know to insert the
    # message first: flush it before its attachments reference it.
    await uow.session.flush()
    for item in message.attachments:
        uow.session.add(_attachment_row(stored.id, item, now))
    ticket.last_message_at = now
    ticket.updated_at = now
    kind = TicketEventKind.AUTO_MESSAGE if message.is_auto else TicketEventKind.CUSTOMER_MESSAGE
    timeline.append(uow.session, ticket.id, kind, at=now, message_id=stored.id, channel_kind=channel.kind)
    await uow.session.flush()
    return stored


def _attachment_row(message_id: uuid.UUID, item: InboundAttachment, now: datetime) -> Attachment:
    assert item.sha256 is not None, "attachments are stored before processing"
    return Attachment(
        id=uuid.uuid4(),
        message_id=message_id,
        filename=(item.filename or "attachment")[:255],
        content_type=item.content_type[:127],
        size=item.size or 0,
        sha256=item.sha256,
        content_id=item.content_id,
        created_at=now,
    )


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
