"""Many inbound messages at once, with every guarantee of the one-by-one funnel (:mod:`.ingest`).

Bulk importers (``hub ingest email`` over a folder of 100k mails) call :func:`ingest_many` with a
batch of messages in arrival order. The outcome is the one :func:`.ingest.ingest` would give for
each message called in that order (same tickets, numbers, threading, routing, events, audit,
search documents, SLA clocks, realtime events), with a handful of statements per batch instead of
about thirty per message:

1. **Raw first.** The batch's payloads are committed in one transaction (one multi-row
   ``INSERT ... ON CONFLICT DO NOTHING RETURNING``) before anything is processed; a (channel,
   external id) seen before (in the database or earlier in the batch) is a duplicate, as always.
2. **One processing transaction.** The raw rows are locked (id order), then the messages are
   processed *in order* in memory: contacts resolved with one lookup per batch, threading on reply
   tokens and references answered from one prefetch plus what the batch itself created (a reply to
   a mail earlier in the same batch threads onto its ticket), new tickets routed on loads counted
   once under the same user locks as :func:`.assignment.route` and kept up to date in memory.
   Rows are written with one statement per table over column arrays (:mod:`hub.bulk`; no ORM unit
   of work in the hot loop), SLA clocks are refreshed once per touched ticket, evaluated and
   written set-based (:mod:`.sla`), realtime events go out after the commit.
3. **Failures stay per message.** A message the fast path does not cover (notices, follows and
   unfollows, channel conversation keys, ticket-number hints) is processed by the one-by-one code
   in a savepoint of the same transaction, between the in-memory segments. If anything in a
   segment fails, the processing transaction is rolled back and every message of the
   batch is processed one by one (:func:`.ingest.process_raw`), so one bad message is marked failed
   on its raw row and the rest still land.

Push channels (WeChat) store each payload first and answer; their ``process_inbound`` job then
processes what its channel stored with :func:`process_stored`, the same machinery without step 1.
Threading by recency (the sender's active ticket on the channel that moved within the thread
window) and the reply windows messages open are part of the fast path.

Lock order (raw rows, contacts, users, tickets, clock rows) is the one-by-one funnel's, so a batch
and single ingests running at the same time queue behind each other instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hub import bulk, metrics, realtime, search
from hub.actors import CHANNEL
from hub.core import Hub
from hub.domain import (
    ACTIVE_STATUSES,
    ChannelKind,
    Direction,
    RawStatus,
    Role,
    TicketEventKind,
    TicketStatus,
)
from hub.errors import HubError, IngestFailed, InvalidInput, NotFound
from hub.html import sanitise
from hub.identities import email_domain, normalise
from hub.inbound import InboundMessage, IngestResult, StoredBatch
from hub.models import (
    Attachment,
    AuditEvent,
    Channel,
    Contact,
    ContactIdentity,
    Message,
    Organization,
    RawInbound,
    ReplyWindow,
    Ticket,
    TicketEvent,
    TicketSla,
    User,
)
from hub.models.tickets import ticket_number_seq
from hub.routing import Candidate, choose_assignee
from hub.services import assignment, contacts, sla
from hub.services.ingest import (
    _channel_kind,
    _process,
    _process_raw,
    _storable,
    _store_attachments,
    _subject_from,
    _validate,
    follow_up,
    wakes,
)
from hub.services.timeline import _jsonable
from hub.status import events_for
from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

#: What :func:`ingest_many` gives back per message: the result, or the error the one-by-one
#: :func:`.ingest.ingest` would have raised (InvalidInput before storing, IngestFailed after).
Outcome = IngestResult | HubError

_ACTIVE = frozenset(ACTIVE_STATUSES)
_T = Ticket.__table__
_M = Message.__table__
_A = Attachment.__table__
_E = TicketEvent.__table__
_AUDIT = AuditEvent.__table__
_C = Contact.__table__
_CI = ContactIdentity.__table__
_R = RawInbound.__table__
_U = User.__table__

#: A document's search vector from its tokens, joined by spaces (a token never holds one).
_SEARCH = bulk.Input("words", "text", " ".join, """array_to_tsvector(string_to_array(u."words", ' '))""")
_INSERT_TICKET = bulk.insert_rows(
    _T,
    [
        "id",
        "number",
        "subject",
        "status",
        "contact_id",
        "organization_id",
        "channel_id",
        "channel_kind",
        "team_id",
        "assignee_id",
        "reply_token",
        "linked_ticket_id",
        "created_at",
        "updated_at",
        "last_message_at",
    ],
    derived={"search": _SEARCH},
)
_INSERT_MESSAGE = bulk.insert_rows(
    _M,
    [
        "id",
        "ticket_id",
        "direction",
        "type",
        "channel_id",
        "author_user_id",
        "author_contact_id",
        "text",
        "html",
        "external_id",
        "is_auto",
        "delivery_status",
        "delivery_error",
        "meta",
        "sent_at",
        "created_at",
    ],
    derived={"search": _SEARCH},
)
_INSERT_ATTACHMENT = bulk.insert_rows(
    _A, ["id", "message_id", "filename", "content_type", "size", "sha256", "content_id", "created_at"]
)
_INSERT_EVENT = bulk.insert_rows(
    _E, ["ticket_id", "kind", "at", "actor_user_id", "message_id", "data", "dedupe_key"]
)
_INSERT_AUDIT = bulk.insert_rows(
    _AUDIT,
    [
        "at",
        "actor_user_id",
        "actor_kind",
        "action",
        "subject_type",
        "subject_id",
        "before",
        "after",
        "reason",
    ],
)
_INSERT_CONTACT = bulk.insert_rows(_C, ["id", "name", "organization_id", "created_at"])
_INSERT_IDENTITY = bulk.insert_rows(
    _CI,
    ["id", "contact_id", "kind", "value", "created_at"],
    suffix="ON CONFLICT (kind, value) DO NOTHING RETURNING value",
)
#: The message already encoded by msgspec (several times cheaper than json.dumps), cast in SQL.
_INSERT_RAW = bulk.insert_rows(
    _R,
    ["id", "channel_id", "external_id", "payload", "received_at"],
    derived={"message": bulk.Input("message_json", "text", read='CAST(u."message_json" AS jsonb)')},
    suffix="ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id",
)
_MARK_PROCESSED = bulk.update_rows(
    _R,
    "id",
    ["ticket_id", "message_id", "processed_at"],
    fixed={"status": f"'{RawStatus.PROCESSED.value}'", "attempts": "t.attempts + 1", "error": "NULL"},
)
_INSERT_CLOCKS = bulk.insert_rows(TicketSla.__table__, ["ticket_id"], suffix="ON CONFLICT DO NOTHING")
_WRITE_CLOCKS = bulk.update_rows(TicketSla.__table__, "ticket_id", sla.STORED_COLUMNS)
_W = ReplyWindow.__table__
_CLOCKS = TicketSla.__table__
#: :func:`.windows.grant` as one statement for many rows: executemany runs them in order, so a
#: sender's later message in the batch sees the window an earlier one opened, as one by one.
_GRANT_WINDOW = (
    insert(_W)
    .values(
        channel_id=sa.bindparam("channel_id"),
        identity_id=sa.bindparam("identity_id"),
        opened_at=sa.bindparam("opened_at"),
        expires_at=sa.bindparam("expires_at"),
        replies_allowed=sa.bindparam("replies_allowed"),
        replies_used=sa.bindparam("replies_used"),
    )
    .on_conflict_do_update(
        index_elements=["channel_id", "identity_id"],
        set_={
            "opened_at": sa.bindparam("opened_at"),
            "expires_at": sa.bindparam("expires_at"),
            "replies_allowed": sa.bindparam("replies_allowed"),
            "replies_used": sa.bindparam("replies_used"),
        },
        where=sa.or_(_W.c.expires_at <= sa.bindparam("expires_at"), _W.c.expires_at <= sa.bindparam("b_now")),
    )
)


#: Messages the in-memory loop processes between two turns of the event loop.
_YIELD_EVERY = 8


class _Fallback(Exception):
    """The fast path cannot finish this segment exactly; redo the batch one by one."""


@dataclass(slots=True)
class _Ticket:
    id: uuid.UUID
    number: int
    subject: str
    status: TicketStatus
    contact_id: uuid.UUID
    organization_id: uuid.UUID | None
    channel_id: uuid.UUID
    team_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    linked_ticket_id: uuid.UUID | None
    reopen_count: int
    resolved_at: datetime | None
    closed_at: datetime | None
    last_message_at: datetime | None
    new: bool = False
    dirty: set[str] = field(default_factory=set)
    row: dict[str, Any] | None = None


@dataclass(slots=True)
class _Contact:
    id: uuid.UUID
    name: str
    organization_id: uuid.UUID | None


_TICKET_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.status,
    Ticket.contact_id,
    Ticket.organization_id,
    Ticket.channel_id,
    Ticket.team_id,
    Ticket.assignee_id,
    Ticket.linked_ticket_id,
    Ticket.reopen_count,
    Ticket.resolved_at,
    Ticket.closed_at,
    Ticket.last_message_at,
)


def _fast(message: InboundMessage) -> bool:
    """Covered by the in-memory path: explicit threading keys (e-mail's case), threading by recency
    and reply windows (a WeChat customer message). Notices, follows and unfollows, channel
    conversation keys and ticket-number hints take the one-by-one code."""
    return (
        message.opens_ticket
        and message.sender_status is None
        and message.thread_ref is None
        and message.ticket_number_hint is None
    )


async def ingest_many(hub: Hub, items: Sequence[tuple[InboundMessage, bytes | None]]) -> list[Outcome]:
    """Store raw, then process, a batch of messages in order (see the module's docstring)."""
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
    """Step 1 of :func:`ingest_many`: validate and commit the batch's raw rows.

    A bulk importer may store batch k+1 (on its own connection) while batch k is processed: the
    raw rows are then safe and the database's two halves of the work overlap. Batches must still
    be *processed* in order, each after the previous one committed."""
    started = time.perf_counter()
    refused: list[HubError | None] = [None] * len(items)
    ready: list[tuple[int, InboundMessage, bytes | None]] = []
    for index, (message, payload) in enumerate(items):
        try:
            message = _storable(message)
            _validate(hub, message)
            ready.append((index, _store_attachments(hub, message), payload))
        except HubError as exc:
            refused[index] = exc
    raw_ids, new, kinds = await _store_many(hub, ready) if ready else ([], set(), {})
    return StoredMany(started, refused, ready, raw_ids, new, kinds)


async def process_many(hub: Hub, stored: StoredMany) -> list[Outcome]:
    """Step 2 of :func:`ingest_many`: process a stored batch, one outcome per item given to
    :func:`store_many`."""
    outcomes: list[Outcome | None] = list(stored.refused)
    if stored.ready:
        ready = stored.ready
        processed = await _process_many(
            hub,
            [
                (raw_id, m, raw_id in stored.new)
                for raw_id, (_, m, _) in zip(stored.raw_ids, ready, strict=True)
            ],
        )
        elapsed = (time.perf_counter() - stored.started) / len(ready)
        by_kind: dict[str, list[tuple[InboundMessage, IngestResult]]] = defaultdict(list)
        for (index, message, _), outcome in zip(ready, processed, strict=True):
            outcomes[index] = outcome
            kind = stored.kinds[message.channel_id]
            if isinstance(outcome, IngestResult):
                label = "duplicate" if outcome.duplicate else "stored"
                metrics.INGESTED.labels(channel=kind, outcome=label).inc()
                metrics.INGEST_SECONDS.labels(channel=kind).observe(elapsed)
                by_kind[kind].append((message, outcome))
        for kind, done in by_kind.items():
            await follow_up(hub, kind, done)
    return [o for o in outcomes if o is not None]


async def _store_many(
    hub: Hub, ready: list[tuple[int, InboundMessage, bytes | None]]
) -> tuple[list[uuid.UUID], set[uuid.UUID], dict[uuid.UUID, str]]:
    """Commit the batch's raw rows (one statement); each item's raw id, new or already stored."""
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
                sa.select(_R.c.channel_id, _R.c.external_id, _R.c.id).where(
                    sa.tuple_(_R.c.channel_id, _R.c.external_id).in_(missing)
                )
            )
            ids.update({(c, e): i for c, e, i in found})
        await uow.commit()
    return [ids[(m.channel_id, m.external_id)] for _, m, _ in ready], new, kinds


async def _process_many(hub: Hub, entries: list[tuple[uuid.UUID, InboundMessage, bool]]) -> list[Outcome]:
    try:
        return await _process_batch(hub, entries)
    except Exception:
        log.warning(
            "batch of %d inbound message(s) failed as a whole; processing them one by one",
            len(entries),
            exc_info=True,
        )
    outcomes: list[Outcome] = []
    for raw_id, _, _ in entries:
        try:
            outcomes.append((await _process_raw(hub, raw_id))[0])
        except HubError as exc:
            outcomes.append(exc)
    return outcomes


async def _process_batch(hub: Hub, entries: list[tuple[uuid.UUID, InboundMessage, bool]]) -> list[Outcome]:
    async with hub.uow() as uow:
        session = uow.session
        connection = await session.connection()
        ids = sorted({raw_id for raw_id, _, _ in entries})
        raws = {
            row.id: row
            for row in await connection.execute(
                sa.select(_R.c.id, _R.c.status, _R.c.error, _R.c.ticket_id, _R.c.message_id, _R.c.attempts)
                .where(_R.c.id.in_(ids))
                .order_by(_R.c.id)
                .with_for_update()
            )
        }
        outcomes: list[Outcome | None] = [None] * len(entries)
        done: dict[uuid.UUID, IngestResult] = {}
        stored_again: dict[uuid.UUID, InboundMessage] = {}
        new = {raw_id for raw_id, _, is_new in entries if is_new}
        again = [
            i
            for i, row in raws.items()
            if row.status in (RawStatus.RECEIVED, RawStatus.FAILED) and i not in new
        ]
        if (
            again
        ):  # stored before this batch, not processed: processed from what was stored, as process_raw does
            for raw_id, stored in await connection.execute(
                sa.select(_R.c.id, _R.c.message).where(_R.c.id.in_(again))
            ):
                stored_again[raw_id] = msgspec.convert(stored, InboundMessage)
        todo: list[tuple[int, uuid.UUID, InboundMessage]] = []
        seen: set[uuid.UUID] = set()
        for index, (raw_id, message, _) in enumerate(entries):
            row = raws[raw_id]
            if row.status is RawStatus.REJECTED:
                outcomes[index] = InvalidInput(
                    detail=f"payload {raw_id} was rejected ({row.error}); it is kept, never processed"
                )
            elif row.status is RawStatus.PROCESSED:
                done[raw_id] = IngestResult(
                    ticket_id=row.ticket_id, message_id=row.message_id, duplicate=True
                )
            elif raw_id not in seen:
                seen.add(raw_id)
                todo.append((index, raw_id, stored_again.get(raw_id, message)))
        batch = _Batch(hub, uow, connection)
        await batch.run(todo)
        for index, raw_id, _ in todo:
            outcome = batch.results[raw_id]
            outcomes[index] = outcome
            if isinstance(outcome, IngestResult):
                done[raw_id] = IngestResult(
                    ticket_id=outcome.ticket_id, message_id=outcome.message_id, duplicate=True
                )
        await uow.commit()
    for index, (raw_id, _, _) in enumerate(entries):
        if outcomes[index] is None:
            found = done.get(raw_id)
            outcomes[index] = found if found is not None else batch.results[raw_id]
    return [o for o in outcomes if o is not None]


class _Batch:
    """One processing transaction: segments of in-memory work, single messages in savepoints."""

    def __init__(self, hub: Hub, uow: UnitOfWork, connection: AsyncConnection) -> None:
        self.hub = hub
        self.uow = uow
        self.connection = connection
        self.results: dict[uuid.UUID, Outcome] = {}
        self.channels: dict[uuid.UUID, Channel] = {}
        self.sla_context: sla.SlaContext | None = None

    async def run(self, todo: list[tuple[int, uuid.UUID, InboundMessage]]) -> None:
        segment: list[tuple[uuid.UUID, InboundMessage]] = []
        for _, raw_id, message in todo:
            if _fast(message):
                segment.append((raw_id, message))
                continue
            if segment:
                await _Segment(self, segment).run()
                segment = []
            await self._one(raw_id, message)
        if segment:
            await _Segment(self, segment).run()

    async def channel(self, channel_id: uuid.UUID) -> Channel:
        found = self.channels.get(channel_id)
        if found is None:
            found = await self.uow.session.get(Channel, channel_id)
            if found is None:
                raise NotFound(what="channel")
            self.channels[channel_id] = found
        return found

    async def _one(self, raw_id: uuid.UUID, message: InboundMessage) -> None:
        """A message outside the fast path: the one-by-one code, in a savepoint of this transaction."""
        session = self.uow.session
        session.expunge_all()  # nothing cached from earlier segments, which wrote with Core
        self.channels.clear()
        now = self.hub.clock.now()
        try:
            async with self.uow.savepoint():
                result = await _process(self.hub, self.uow, message)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            await self.connection.execute(
                sa.update(_R)
                .where(_R.c.id == raw_id)
                .values(status=RawStatus.FAILED, attempts=_R.c.attempts + 1, error=error)
            )
            metrics.INGEST_FAILURES.inc()
            log.exception(
                "processing inbound %s failed; stored as raw %s for retry", message.external_id, raw_id
            )
            detail = str(exc) if isinstance(exc, HubError) else "processing_error"
            self.results[raw_id] = IngestFailed(detail=detail, raw_id=str(raw_id), error=error)
            return
        await session.flush()
        session.expunge_all()
        await self.connection.execute(
            sa.update(_R)
            .where(_R.c.id == raw_id)
            .values(
                status=RawStatus.PROCESSED,
                attempts=_R.c.attempts + 1,
                error=None,
                ticket_id=result.ticket_id,
                message_id=result.message_id,
                processed_at=now,
            )
        )
        self.results[raw_id] = result


class _Segment:
    """Consecutive fast-path messages: prefetch, process in order in memory, write set-based."""

    def __init__(self, batch: _Batch, items: list[tuple[uuid.UUID, InboundMessage]]) -> None:
        self.batch = batch
        self.hub = batch.hub
        self.connection = batch.connection
        self.items = items
        self.tickets: dict[uuid.UUID, _Ticket] = {}
        self.by_token: dict[str, uuid.UUID] = {}
        #: external id -> (created_at, ticket id) of every stored or batch message carrying it.
        self.refs: dict[str, list[tuple[datetime, int, uuid.UUID]]] = defaultdict(list)
        self.successors: dict[uuid.UUID, uuid.UUID] = {}
        self.contacts: dict[tuple[ChannelKind, str], _Contact] = {}
        #: (kind, value) -> identity id, for the reply windows messages open.
        self.identities: dict[tuple[ChannelKind, str], uuid.UUID] = {}
        #: (contact, channel) -> their tickets known to the segment, for threading by recency.
        self.conversations: dict[tuple[uuid.UUID, uuid.UUID], list[_Ticket]] = defaultdict(list)
        self.windows: list[dict[str, Any]] = []
        self.new_contacts: list[dict[str, Any]] = []
        self.new_identities: list[dict[str, Any]] = []
        self.renamed: dict[uuid.UUID, str] = {}
        self.candidates: dict[uuid.UUID, Candidate] = {}
        self.team_members: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.managers: dict[uuid.UUID, tuple[uuid.UUID | None, uuid.UUID | None]] = {}
        self.assigned_at: dict[uuid.UUID, datetime] = {}
        self.messages: list[dict[str, Any]] = []
        self.attachments: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.raw_updates: list[dict[str, Any]] = []
        self.publish: list[tuple[str, list[str], dict[str, Any], _Ticket]] = []
        self.fixups: list[Callable[[], None]] = []
        self.new_tickets: list[_Ticket] = []
        self.touched: dict[uuid.UUID, None] = {}
        self.order = 0
        self.new_id = bulk.RandomIds()

    # -- loading -----------------------------------------------------------------------------

    def _remember(self, row: Any) -> _Ticket:
        ticket = self.tickets.get(row[0])
        if ticket is None:
            ticket = self.tickets[row[0]] = _Ticket(*row)
            self.conversations[(ticket.contact_id, ticket.channel_id)].append(ticket)
        return ticket

    async def _load_tickets(self, where: sa.ColumnElement[bool]) -> list[_Ticket]:
        rows = await self.connection.execute(sa.select(*_TICKET_COLUMNS, Ticket.reply_token).where(where))
        found = []
        for row in rows:
            ticket = self._remember(row[:-1])
            self.by_token[row[-1]] = ticket.id
            found.append(ticket)
        return found

    async def _prefetch(self, earliest: datetime) -> None:
        messages = [m for _, m in self.items]
        tokens = sorted({m.reply_token for m in messages if m.reply_token})
        references = sorted({r for m in messages for r in m.references})
        if references:
            rows = await self.connection.execute(
                sa.select(Message.external_id, Message.created_at, Message.ticket_id).where(
                    Message.external_id.in_(references)
                )
            )
            for external_id, created_at, ticket_id in rows:
                self.refs[external_id].append((created_at, -1, ticket_id))
        ticket_ids = sorted({t for entries in self.refs.values() for _, _, t in entries})
        if tokens or ticket_ids:
            await self._load_tickets(sa.or_(Ticket.reply_token.in_(tokens), Ticket.id.in_(ticket_ids)))
        await self._prefetch_recent(earliest)

    async def _prefetch_recent(self, earliest: datetime) -> None:
        """Every ticket a message threading by recency could join: its sender's active tickets on
        its channel that moved within the thread window of the segment's first instant. A ticket
        outside this set can only become a candidate by being touched, hence loaded, by the batch."""
        pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for _, message in self.items:
            if message.thread_by_recency and message.thread_ref is None:
                channel = await self.batch.channel(message.channel_id)
                contact = self.contacts[(channel.kind, normalise(channel.kind, message.sender.identity))]
                pairs.add((contact.id, channel.id))
        if not pairs:
            return
        window = timedelta(hours=self.hub.settings.thread_window_hours)
        await self._load_tickets(
            sa.and_(
                Ticket.contact_id.in_(sorted({c for c, _ in pairs})),
                Ticket.channel_id.in_(sorted({c for _, c in pairs})),
                Ticket.status.in_(sorted(s.value for s in ACTIVE_STATUSES)),
                Ticket.last_message_at >= earliest - window,
            )
        )

    async def _contacts(self, nows: list[datetime]) -> None:
        """Resolve every sender (one lookup), create the new ones, as :func:`.contacts.resolve` would."""
        keys: dict[tuple[ChannelKind, str], None] = {}
        for _, message in self.items:
            channel = await self.batch.channel(message.channel_id)
            keys[(channel.kind, normalise(channel.kind, message.sender.identity))] = None
        by_kind: dict[ChannelKind, list[str]] = defaultdict(list)
        for kind, value in keys:
            by_kind[kind].append(value)
        for kind, values in by_kind.items():
            rows = await self.connection.execute(
                sa.select(_CI.c.value, _CI.c.id, _C.c.id, _C.c.name, _C.c.organization_id)
                .join(_C, _C.c.id == _CI.c.contact_id)
                .where(_CI.c.kind == kind, _CI.c.value.in_(values))
            )
            for value, identity_id, *contact in rows:
                self.contacts[(kind, value)] = _Contact(*contact)
                self.identities[(kind, value)] = identity_id
        domains = sorted(
            {
                d
                for kind, value in keys
                if kind is ChannelKind.EMAIL and (kind, value) not in self.contacts
                for d in [email_domain(value)]
                if d
            }
        )
        organizations: dict[str, uuid.UUID] = {}
        if domains:
            rows = await self.connection.execute(
                sa.select(Organization.id, Organization.domains)
                .where(Organization.domains.overlap(sa.cast(domains, pg.ARRAY(sa.Text))))
                .order_by(Organization.id)
            )
            for org_id, org_domains in rows:
                for domain in org_domains:
                    organizations.setdefault(domain, org_id)
        for (_, message), now in zip(self.items, nows, strict=True):
            channel = await self.batch.channel(message.channel_id)
            key = (channel.kind, normalise(channel.kind, message.sender.identity))
            name = message.sender.name
            found = self.contacts.get(key)
            if found is not None:
                if name and not found.name:
                    found.name = name[:200]
                    self.renamed[found.id] = found.name
                continue
            organization_id = None
            if channel.kind is ChannelKind.EMAIL:
                domain = email_domain(key[1])
                organization_id = organizations.get(domain) if domain else None
            contact = self.contacts[key] = _Contact(self.new_id(), (name or "")[:200], organization_id)
            self.new_contacts.append(
                {
                    "id": contact.id,
                    "name": contact.name,
                    "organization_id": organization_id,
                    "created_at": now,
                }
            )
            self.identities[key] = self.new_id()
            self.new_identities.append(
                {
                    "id": self.identities[key],
                    "contact_id": contact.id,
                    "kind": key[0],
                    "value": key[1],
                    "created_at": now,
                }
            )
        await self._write_contacts()

    async def _write_contacts(self) -> None:
        if self.new_contacts:
            names = {c["id"]: c for c in self.new_contacts}
            for contact_id, name in list(self.renamed.items()):
                if contact_id in names:  # created by this batch: insert with the final name
                    names[contact_id]["name"] = name
                    del self.renamed[contact_id]
            await _INSERT_CONTACT.execute(self.connection, self.new_contacts)
            identities = sorted(self.new_identities, key=lambda r: (r["kind"], r["value"]))
            won = set((await _INSERT_IDENTITY.execute(self.connection, identities)).scalars())
            if len(won) < len(identities):
                # A concurrent ingest created some of these identities first: the one-by-one path
                # resolves each such race exactly (its contact wins, ours is discarded).
                raise _Fallback("contacts created concurrently")
        if self.renamed:
            await self.connection.execute(
                sa.update(_C).where(_C.c.id == sa.bindparam("b_id")).values(name=sa.bindparam("b_name")),
                [{"b_id": i, "b_name": n} for i, n in sorted(self.renamed.items())],
            )
            await contacts.refresh_ticket_search(self.batch.uow.session, self.renamed)

    async def _routing(self, now: datetime) -> None:
        """Lock and load everyone a new ticket of this segment could go to, once (as route() does)."""
        organization_ids = sorted({c.organization_id for c in self.contacts.values() if c.organization_id})
        if organization_ids:
            for org_id, manager, backup in await self.connection.execute(
                sa.select(
                    Organization.id, Organization.account_manager_id, Organization.backup_manager_id
                ).where(Organization.id.in_(organization_ids))
            ):
                self.managers[org_id] = (manager, backup)
        manager_ids = sorted({m for pair in self.managers.values() for m in pair if m})
        team_ids = sorted({c.team_id for c in self.batch.channels.values() if c.team_id})
        managers = User.id.in_(manager_ids)
        team_members = (
            sa.and_(User.team_id.in_(team_ids), User.role.in_([Role.AGENT, Role.SUPERVISOR]))
            if team_ids
            else sa.false()
        )
        if not manager_ids and not team_ids:
            return
        locked = await self.connection.execute(
            sa.select(User.id, User.team_id, User.role)
            .where(sa.or_(managers, team_members))
            .order_by(User.id)
            .with_for_update()
        )
        for user_id, team_id, role in locked:
            if team_id in team_ids and role in (Role.AGENT, Role.SUPERVISOR):
                self.team_members.setdefault(team_id, []).append(user_id)
        session = self.batch.uow.session
        for candidate in await assignment.candidates(session, sa.or_(managers, team_members), now):
            self.candidates[candidate.user_id] = candidate

    def _load_changed(self, user_id: uuid.UUID | None, delta: int, now: datetime | None = None) -> None:
        found = self.candidates.get(user_id) if user_id else None
        if found is None:
            return
        changes: dict[str, Any] = {"open_tickets": found.open_tickets + delta}
        if now is not None:
            changes["last_assigned_at"] = now
        self.candidates[found.user_id] = replace(found, **changes)

    # -- processing ----------------------------------------------------------------------------

    async def run(self) -> None:
        nows = [self.hub.clock.now() for _ in self.items]
        await self._contacts(nows)
        await self._routing(nows[0])
        await self._prefetch(nows[0])
        if self.batch.sla_context is None:
            self.batch.sla_context = await sla.SlaContext.load(self.batch.uow.session, self.hub.settings)
        for n, ((raw_id, message), now) in enumerate(zip(self.items, nows, strict=True)):
            if n and n % _YIELD_EVERY == 0:
                # Hand the event loop back now and then: an in-process worker (``hub serve`` with
                # the embedded servers) shares it with the web server, which must answer WeChat
                # within 5 s, and this loop never waits on I/O by itself.
                await asyncio.sleep(0)
            await self._one(raw_id, message, now)
        await self._write()

    async def _find(
        self, message: InboundMessage, contact: _Contact, channel: Channel, now: datetime
    ) -> tuple[_Ticket | None, _Ticket | None, str]:
        """:func:`.threading_rules.find_ticket` for messages without a conversation key or a number."""
        found: _Ticket | None = None
        rule = "new"
        if message.reply_token and message.reply_token in self.by_token:
            found, rule = self.tickets[self.by_token[message.reply_token]], "reply_token"
        elif message.references:
            best = max(
                (entry for r in message.references for entry in self.refs.get(r, ())),
                default=None,
                key=lambda e: (e[0], e[1]),
            )
            if best is not None:
                found, rule = self.tickets[best[2]], "references"
        if found is None and message.thread_by_recency and message.thread_ref is None:
            recent = self._recent(contact, channel, now)
            return (recent, None, "recent_conversation") if recent else (None, None, "new")
        if found is None:
            return None, None, "new"
        reopen_window = timedelta(days=self.hub.settings.reopen_window_days)
        if self._closed_too_long(found, now, reopen_window):
            successor = await self._successor(found)
            if successor is not None and not self._closed_too_long(successor, now, reopen_window):
                return successor, None, rule + "_via_linked"
            return None, found, "closed_past_reopen_window"
        return found, None, rule

    def _recent(self, contact: _Contact, channel: Channel, now: datetime) -> _Ticket | None:
        """The sender's active ticket on the channel that moved last, within the thread window."""
        since = now - timedelta(hours=self.hub.settings.thread_window_hours)
        return max(
            (
                t
                for t in self.conversations.get((contact.id, channel.id), ())
                if t.status in _ACTIVE and t.last_message_at is not None and t.last_message_at >= since
            ),
            key=lambda t: t.last_message_at or now,
            default=None,
        )

    @staticmethod
    def _closed_too_long(ticket: _Ticket, now: datetime, reopen_window: timedelta) -> bool:
        return ticket.status is TicketStatus.CLOSED and (ticket.closed_at or now) < now - reopen_window

    async def _successor(self, old: _Ticket) -> _Ticket | None:
        if old.id in self.successors:
            return self.tickets[self.successors[old.id]]
        found = await self._load_tickets(
            Ticket.id
            == sa.select(Ticket.id)
            .where(Ticket.linked_ticket_id == old.id)
            .order_by(Ticket.created_at.desc(), Ticket.number.desc())
            .limit(1)
            .scalar_subquery()
        )
        return found[0] if found else None

    def _event(self, ticket: _Ticket, kind: TicketEventKind, at: datetime, **data: Any) -> None:
        message_id = data.pop("message_id", None)
        actor_user_id = data.pop("actor_user_id", None)
        self.events.append(
            {
                "ticket_id": ticket.id,
                "kind": kind,
                "at": at,
                "actor_user_id": actor_user_id,
                "message_id": message_id,
                "data": {k: _jsonable(v) for k, v in data.items()},
                "dedupe_key": None,
            }
        )

    def _audit(self, action: str, ticket: _Ticket, at: datetime, **fields: Any) -> dict[str, Any]:
        row = {
            "at": at,
            "actor_user_id": CHANNEL.user_id,
            "actor_kind": CHANNEL.kind,
            "action": action,
            "subject_type": "ticket",
            "subject_id": str(ticket.id),
            "before": fields.get("before"),
            "after": fields.get("after"),
            "reason": fields.get("reason"),
        }
        self.audit.append(row)
        return row

    async def _one(self, raw_id: uuid.UUID, message: InboundMessage, now: datetime) -> None:
        channel = await self.batch.channel(message.channel_id)
        key = (channel.kind, normalise(channel.kind, message.sender.identity))
        contact = self.contacts[key]
        if message.window is not None:  # .windows.grant, written in message order by one executemany
            self.windows.append(
                {
                    "channel_id": channel.id,
                    "identity_id": self.identities[key],
                    "opened_at": now,
                    "expires_at": now + timedelta(seconds=message.window.seconds),
                    "replies_allowed": message.window.replies,
                    "replies_used": 0,
                    "b_now": now,
                }
            )
        ticket, linked, rule = await self._find(message, contact, channel, now)
        created = ticket is None
        if ticket is None:
            ticket = self._open(channel, contact, message, now, linked, rule)
        else:
            self._wake(ticket, message, now)
        message_id = self.new_id()
        self.messages.append(
            {
                "id": message_id,
                "ticket_id": ticket.id,
                "direction": Direction.INBOUND,
                "type": message.type,
                "channel_id": channel.id,
                "author_user_id": None,
                "author_contact_id": contact.id,
                "text": message.text,
                "html": sanitise(message.html) if message.html else None,
                "external_id": message.external_id,
                "is_auto": message.is_auto,
                "delivery_status": None,
                "delivery_error": None,
                "meta": message.meta,
                "sent_at": message.sent_at,
                "created_at": now,
                "words": search.document_tokens(message.subject, message.text),
            }
        )
        for item in message.attachments:
            assert item.sha256 is not None, "attachments are stored before processing"
            self.attachments.append(
                {
                    "id": self.new_id(),
                    "message_id": message_id,
                    "filename": (item.filename or "attachment")[:255],
                    "content_type": item.content_type[:127],
                    "size": item.size or 0,
                    "sha256": item.sha256,
                    "content_id": item.content_id,
                    "created_at": now,
                }
            )
        self.order += 1
        self.refs[message.external_id].append((now, self.order, ticket.id))
        ticket.dirty.update(("last_message_at", "updated_at"))
        ticket.last_message_at = now
        if ticket.row is not None:
            ticket.row["last_message_at"] = ticket.row["updated_at"] = now
        kind = TicketEventKind.AUTO_MESSAGE if message.is_auto else TicketEventKind.CUSTOMER_MESSAGE
        self._event(ticket, kind, now, message_id=message_id, channel_kind=channel.kind)
        if created:
            self._route(ticket, now)
        self.touched[ticket.id] = None
        self.publish.append(
            (
                "ticket.created" if created else "message.created",
                realtime.for_ticket(
                    team_id=ticket.team_id,
                    assignee_id=ticket.assignee_id,
                    organization_id=ticket.organization_id,
                ),
                {
                    "ticket_id": str(ticket.id),
                    "number": None,
                    "message_id": str(message_id),
                    "subject": ticket.subject,
                    "status": ticket.status.value,
                },
                ticket,
            )
        )
        self.raw_updates.append(
            {"id": raw_id, "ticket_id": ticket.id, "message_id": message_id, "processed_at": now}
        )
        self.batch.results[raw_id] = IngestResult(
            ticket_id=ticket.id, message_id=message_id, duplicate=False, created_ticket=created
        )

    def _open(
        self,
        channel: Channel,
        contact: _Contact,
        message: InboundMessage,
        now: datetime,
        linked: _Ticket | None,
        rule: str,
    ) -> _Ticket:
        subject = ((message.subject or "").strip() or _subject_from(message))[:500]
        ticket = _Ticket(
            id=self.new_id(),
            number=0,
            subject=subject,
            status=TicketStatus.NEW,
            contact_id=contact.id,
            organization_id=contact.organization_id,
            channel_id=channel.id,
            team_id=channel.team_id,
            assignee_id=None,
            linked_ticket_id=linked.id if linked else None,
            reopen_count=0,
            resolved_at=None,
            closed_at=None,
            last_message_at=now,
            new=True,
        )
        ticket.row = {
            "id": ticket.id,
            "subject": subject,
            "status": TicketStatus.NEW,
            "contact_id": contact.id,
            "organization_id": contact.organization_id,
            "channel_id": channel.id,
            "channel_kind": channel.kind,
            "team_id": channel.team_id,
            "assignee_id": None,
            "reply_token": secrets.token_hex(12),
            "linked_ticket_id": ticket.linked_ticket_id,
            "created_at": now,
            "updated_at": now,
            "last_message_at": now,
            "words": search.document_tokens(subject, contact.name),
        }
        self.tickets[ticket.id] = ticket
        self.conversations[(contact.id, channel.id)].append(ticket)
        self.new_tickets.append(ticket)
        if linked is not None:
            self.successors[linked.id] = ticket.id
        self._event(
            ticket,
            TicketEventKind.CREATED,
            now,
            channel_kind=channel.kind,
            linked_ticket_id=linked.id if linked else None,
        )
        audit = self._audit(
            "ticket.created",
            ticket,
            now,
            after={"number": None, "channel_id": str(channel.id), "contact_id": str(contact.id)},
        )

        def fix() -> None:
            audit["after"]["number"] = ticket.number
            if linked is not None:
                if rule == "ticket_number_not_participant":
                    audit["reason"] = f"quoted ticket #{linked.number} by someone outside it"
                else:
                    audit["reason"] = f"late reply to closed ticket #{linked.number}"

        self.fixups.append(fix)
        return ticket

    def _wake(self, ticket: _Ticket, message: InboundMessage, now: datetime) -> None:
        """:func:`.ingest._wake`: a client's message reopens the ticket or ends a wait on them."""
        if not wakes(message, ticket.status):
            return
        previous = ticket.status
        ticket.status = TicketStatus.OPEN
        ticket.dirty.add("status")
        if (previous in _ACTIVE) != (TicketStatus.OPEN in _ACTIVE):
            self._load_changed(ticket.assignee_id, +1)
        self._event(
            ticket,
            TicketEventKind.STATUS_CHANGED,
            now,
            previous=previous,
            status=TicketStatus.OPEN,
            by="customer",
        )
        for kind in events_for(previous, TicketStatus.OPEN):
            self._event(ticket, kind, now, previous=previous, by="customer")
        if previous is TicketStatus.PENDING:
            return
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.dirty.update(("reopen_count", "resolved_at", "closed_at"))
        self._audit(
            "ticket.reopened",
            ticket,
            now,
            before={"status": previous.value},
            after={"status": "open"},
            reason="customer replied",
        )

    def _route(self, ticket: _Ticket, now: datetime) -> None:
        manager_id, backup_id = (
            self.managers.get(ticket.organization_id, (None, None))
            if ticket.organization_id
            else (None, None)
        )
        manager = self.candidates.get(manager_id) if manager_id else None
        backup = self.candidates.get(backup_id) if backup_id else None
        team = (
            [self.candidates[u] for u in self.team_members.get(ticket.team_id, ()) if u in self.candidates]
            if ticket.team_id
            else []
        )
        choice = choose_assignee(manager, backup, team)
        if choice.user_id is None:
            return
        ticket.assignee_id = choice.user_id
        assert ticket.row is not None
        ticket.row["assignee_id"] = choice.user_id
        self._load_changed(choice.user_id, +1 if ticket.status in _ACTIVE else 0, now)
        self.assigned_at[choice.user_id] = now
        self._event(
            ticket,
            TicketEventKind.ASSIGNED,
            now,
            actor_user_id=CHANNEL.user_id,
            assignee_id=choice.user_id,
            previous_assignee_id=None,
            team_id=ticket.team_id,
            reason=choice.reason,
        )
        self._audit(
            "ticket.assigned",
            ticket,
            now,
            before={"assignee_id": None},
            after={"assignee_id": str(choice.user_id)},
            reason=choice.reason,
        )
        self.publish.append(
            (
                "ticket.assigned",
                realtime.for_ticket(team_id=ticket.team_id, assignee_id=choice.user_id, organization_id=None),
                {"ticket_id": str(ticket.id), "number": None, "assignee_id": str(choice.user_id)},
                ticket,
            )
        )

    # -- writing -------------------------------------------------------------------------------

    async def _write(self) -> None:
        connection = self.connection
        if self.windows:
            await connection.execute(_GRANT_WINDOW, self.windows)
        if self.new_tickets:
            numbers = sorted(
                (
                    await connection.execute(
                        sa.select(ticket_number_seq.next_value()).select_from(
                            sa.func.generate_series(1, len(self.new_tickets))
                        )
                    )
                ).scalars()
            )
            for ticket, number in zip(self.new_tickets, numbers, strict=True):
                ticket.number = number
                assert ticket.row is not None
                ticket.row["number"] = number
            for fix in self.fixups:
                fix()
            await _INSERT_TICKET.execute(connection, [t.row for t in self.new_tickets])
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for ticket in sorted(self.tickets.values(), key=lambda t: t.id):
            if ticket.new or not ticket.dirty:
                continue
            columns = tuple(sorted(ticket.dirty))
            values = {
                f"b_{c}": getattr(ticket, c) for c in columns if c not in ("last_message_at", "updated_at")
            }
            values["b_id"] = ticket.id
            updates[columns].append(values)
        for columns, rows in updates.items():
            at = self._touched_at
            for row in rows:
                for c in ("last_message_at", "updated_at"):
                    if c in columns:
                        row[f"b_{c}"] = at[row["b_id"]]
            await connection.execute(
                sa.update(_T)
                .where(_T.c.id == sa.bindparam("b_id"))
                .values({c: sa.bindparam(f"b_{c}") for c in columns}),
                rows,
            )
        if self.messages:
            await _INSERT_MESSAGE.execute(connection, self.messages)
        if self.attachments:
            await _INSERT_ATTACHMENT.execute(connection, self.attachments)
        if self.events:
            await _INSERT_EVENT.execute(connection, self.events)
        if self.audit:
            await _INSERT_AUDIT.execute(connection, self.audit)
        if self.assigned_at:
            await connection.execute(
                sa.update(_U)
                .where(_U.c.id == sa.bindparam("b_id"))
                .values(last_assigned_at=sa.bindparam("b_at")),
                [{"b_id": u, "b_at": at} for u, at in sorted(self.assigned_at.items())],
            )
        await self._refresh_clocks()
        if self.raw_updates:  # rows locked in id order by the batch's first statement
            await _MARK_PROCESSED.execute(connection, self.raw_updates)
        for name, channels, data, ticket in self.publish:
            data["number"] = ticket.number
            self.batch.uow.publish(name, channels, **data)

    @property
    def _touched_at(self) -> dict[uuid.UUID, datetime]:
        """When each ticket last got a message in this segment (its last_message_at)."""
        at: dict[uuid.UUID, datetime] = {}
        for row in self.messages:
            at[row["ticket_id"]] = row["created_at"]
        return at

    async def _refresh_clocks(self) -> None:
        """:func:`.sla.refresh` for every ticket the segment touched, in one pass."""
        if not self.touched:
            return
        context = self.batch.sla_context
        assert context is not None
        now = self.hub.clock.now()
        ids = sorted(self.touched)
        # sla.lock_rows and sla.write, set-based: missing rows created, all locked in ticket order,
        # evaluated from the log, written by one statement.
        await _INSERT_CLOCKS.execute(self.connection, [{"ticket_id": i} for i in ids])
        await self.connection.execute(
            sa.select(_CLOCKS.c.ticket_id)
            .where(_CLOCKS.c.ticket_id.in_(ids))
            .order_by(_CLOCKS.c.ticket_id)
            .with_for_update()
        )
        rows = [
            {"ticket_id": ticket_id, **sla.stored_values(evaluation, now)}
            for ticket_id, evaluation in await sla.evaluate_tickets(context, ids, now)
        ]
        await _WRITE_CLOCKS.execute(self.connection, rows)


#: How many stored payloads one ``process_inbound`` job takes at most. Under a steady stream a job
#: takes what arrived while the previous one ran (a few dozen at 200 pushes/s), so this only bounds
#: the transaction after an outage left a backlog.
STORED_BATCH = 200


async def process_stored(hub: Hub, raw_id: uuid.UUID, *, limit: int = STORED_BATCH) -> StoredBatch:
    """Process ``raw_id``'s channel's stored, unprocessed payloads (up to ``limit``, oldest first) in
    one batch: what the ``process_inbound`` job of a push channel does.

    A push channel stores each payload and queues one job for it (:func:`.ingest.store`); under load
    most of those jobs find their payload already taken by an earlier job's batch and end at once.
    Payloads are claimed with ``FOR UPDATE SKIP LOCKED``, so several workers split a backlog instead
    of queueing behind each other, and a payload being processed elsewhere is left to that worker.
    Each payload's outcome is what :func:`.ingest.process_raw` gives it in the same order: the batch
    is the one-by-one funnel's result (see the module's docstring), and if it fails as a whole, the
    claimed payloads are processed one by one so one bad message is marked failed on its own.
    """
    claimed: list[tuple[uuid.UUID, InboundMessage]] = []
    kind: list[str] = []
    try:
        done = await _process_stored(hub, raw_id, limit, claimed, kind)
    except Exception:
        if not claimed:
            raise
        log.warning(
            "batch of %d stored inbound payload(s) failed as a whole; processing them one by one",
            len(claimed),
            exc_info=True,
        )
    else:
        await _follow_up(hub, done)
        return done
    items: list[tuple[uuid.UUID, InboundMessage, Outcome]] = []
    for claimed_id, message in claimed:
        try:
            items.append((claimed_id, message, (await _process_raw(hub, claimed_id))[0]))
        except HubError as exc:
            items.append((claimed_id, message, exc))
    done = StoredBatch(kind[0] if kind else None, items)
    await _follow_up(hub, done)
    return done


async def _follow_up(hub: Hub, batch: StoredBatch) -> None:
    if batch.channel_kind is not None:
        processed = [(m, o) for _, m, o in batch.items if isinstance(o, IngestResult)]
        await follow_up(hub, batch.channel_kind, processed)


async def _process_stored(
    hub: Hub,
    raw_id: uuid.UUID,
    limit: int,
    claimed: list[tuple[uuid.UUID, InboundMessage]],
    kind: list[str],
) -> StoredBatch:
    async with hub.uow() as uow:
        connection = await uow.session.connection()
        channel_id = sa.select(_R.c.channel_id).where(_R.c.id == raw_id).scalar_subquery()
        rows = (
            await connection.execute(
                sa.select(_R.c.id, _R.c.message, _R.c.channel_id)
                .where(_R.c.channel_id == channel_id, _R.c.status == RawStatus.RECEIVED)
                .order_by(_R.c.received_at, _R.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:  # taken by an earlier job's batch, or by another worker right now
            return StoredBatch(None, [])
        kind.append(await _channel_kind(uow.session, rows[0].channel_id))
        claimed.extend((row.id, msgspec.convert(row.message, InboundMessage)) for row in rows)
        batch = _Batch(hub, uow, connection)
        await batch.run([(n, row_id, message) for n, (row_id, message) in enumerate(claimed)])
        await uow.commit()
    return StoredBatch(kind[0], [(row_id, m, batch.results[row_id]) for row_id, m in claimed])
