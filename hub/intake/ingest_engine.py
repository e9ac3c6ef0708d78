"""The one ingest engine: a batch of stored messages (a single message is a batch of one) becomes
tickets, messages, events, assignments and SLA clocks in three steps.

1. **Load.** One statement per kind of fact for the whole batch: the channels, every sender's
   contact (new ones created, organisation by mail domain), everyone a new ticket could be routed
   to (user rows locked in id order, as :func:`.assignment.route` does), every ticket a message
   could thread onto (by reply token, conversation key, referenced message, quoted number, recent
   activity, latest conversation for notices, survey), the successors of closed ones, and the SLA
   policies.
2. **Decide.** Messages in order, in memory, by the pure rules of :mod:`.threading_rules` over
   plain records, which the loop keeps up to date (a reply to a mail earlier in the batch threads
   onto the ticket that mail opened; routing loads count the batch's own assignments).
3. **Write.** One statement per table over column arrays (:mod:`hub.bulk`); SLA clocks of every
   touched ticket evaluated and written set-based; then the batch's domain events are raised on the
   unit of work (:mod:`hub.events`), in decision order: the audit trail writes them before the
   commit, the inboxes and the channels' follow-ups hear of them after it.

The caller (:mod:`.ingest`) owns the transaction, the raw rows and failure isolation. Lock order
(raw rows, contacts, users, tickets, clock rows) is the same for every batch, so concurrent
batches queue behind each other instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hub import bulk
from hub.actors import CHANNEL, Actor
from hub.calendars import names as calendar_names
from hub.contacts import contacts
from hub.core import Hub
from hub.domain import (
    ACTIVE_STATUSES,
    ChannelKind,
    DeliveryStatus,
    Direction,
    Priority,
    RawStatus,
    Role,
    TicketEventKind,
    TicketStatus,
    Tier,
)
from hub.errors import NotFound
from hub.events import DomainEvent, TicketRef
from hub.html import sanitise
from hub.intake import message_size
from hub.intake.events import MessageIngested
from hub.intake.identities import email_domain, normalise
from hub.intake.inbound import InboundMessage, IngestResult
from hub.intake.routing import Candidate, choose_assignee
from hub.intake.threading_rules import (
    ThreadIndex,
    TicketRecord,
    find_ticket,
    valid_number,
)
from hub.models import (
    Attachment,
    Channel,
    Contact,
    ContactIdentity,
    Message,
    Organization,
    RawInbound,
    ReplyWindow,
    ThreadRef,
    Ticket,
    TicketEvent,
    TicketSla,
    User,
)
from hub.models.tickets import ticket_number_seq
from hub.sla import service as sla
from hub.sla.clock import CLOCK_EVENTS
from hub.tickets import assignment, events, search
from hub.tickets.status import events_for
from hub.tickets.timeline import jsonable
from hub.uow import UnitOfWork

_SUBJECT_FROM_TEXT = 80
_ACTIVE = frozenset(ACTIVE_STATUSES)
#: Messages the in-memory loop decides between two turns of the event loop.
_YIELD_EVERY = 8
#: New tickets' clocks evaluated between two turns of the event loop (a few milliseconds' work),
#: so that the write statements running meanwhile are sent on soon after each one is done.
_EVALUATE_SLICE = 64
#: Why a ticket an agent's outbound message opened (or found unassigned) goes to that agent.
ANSWERED = "answered the ticket"

_T = Ticket.__table__
_M = Message.__table__
_C = Contact.__table__
_CI = ContactIdentity.__table__
_R = RawInbound.__table__
_U = User.__table__
_W = ReplyWindow.__table__
_CLOCKS = TicketSla.__table__

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
    Attachment.__table__,
    ["id", "message_id", "filename", "content_type", "size", "sha256", "content_id", "created_at"],
)
_INSERT_EVENT = bulk.insert_rows(
    TicketEvent.__table__, ["ticket_id", "kind", "at", "actor_user_id", "message_id", "data", "dedupe_key"]
)
_INSERT_CONTACT = bulk.insert_rows(_C, ["id", "name", "organization_id", "created_at"])
_INSERT_IDENTITY = bulk.insert_rows(
    _CI,
    ["id", "contact_id", "kind", "value", "created_at"],
    suffix="ON CONFLICT (kind, value) DO NOTHING RETURNING value",
)
_MARK_PROCESSED = bulk.update_rows(
    _R,
    "id",
    ["ticket_id", "message_id", "processed_at"],
    fixed={"status": f"'{RawStatus.PROCESSED.value}'", "attempts": "t.attempts + 1", "error": "NULL"},
)


@functools.cache
def _ticket_update(columns: tuple[str, ...]) -> bulk.Bulk:
    """One statement for every ticket whose decisions changed these columns (a batch has a few
    such sets: threaded, woken, reopened, assigned), rather than one per ticket."""
    return bulk.update_rows(_T, "id", columns)


_INSERT_CLOCKS = bulk.insert_rows(_CLOCKS, ["ticket_id"], suffix="ON CONFLICT DO NOTHING")
_WRITE_CLOCKS = bulk.update_rows(_CLOCKS, "ticket_id", sla.STORED_COLUMNS)
_INSERT_EVALUATED_CLOCKS = bulk.insert_rows(_CLOCKS, ["ticket_id", *sla.STORED_COLUMNS])
#: :func:`.windows.grant` for many rows: executemany runs them in order, so a sender's later
#: message sees the window an earlier one opened.
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
    Ticket.created_at,
)


@dataclass(slots=True)
class Stages:
    """Where a batch's processing is, for a bulk importer that works on its next batches meanwhile,
    so that Python and the database each work while the other does: it stores the next batch's
    raw rows once the engine ``read`` what it needs (and decides in memory), and reads the batch
    after into messages once it ``decided`` (and the database writes). Both are set at the latest
    when the processing ends."""

    read: asyncio.Event = field(default_factory=asyncio.Event)
    decided: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.read.set()
        self.decided.set()


class ContactRace(Exception):
    """A concurrent ingest created some of this batch's new contacts first: run the batch again,
    and the lookup finds theirs (the first contact to own an identity keeps it)."""


@dataclass(slots=True)
class _Contact:
    id: uuid.UUID
    name: str
    organization_id: uuid.UUID | None


def wakes(message: InboundMessage, status: TicketStatus) -> bool:
    """Whether this message reopens a ticket in ``status`` (or ends a wait on the client): the
    client's own words do; automatic traffic, notices, survey answers and agents' calls do not."""
    return (
        not message.is_auto
        and message.opens_ticket
        and message.survey_ticket_id is None
        and message.direction == "inbound"
        and status in (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.PENDING)
    )


def subject_from(message: InboundMessage) -> str:
    first_line = next((line.strip() for line in message.text.splitlines() if line.strip()), "")
    if not first_line:
        return f"[{message.type}]"
    if len(first_line) <= _SUBJECT_FROM_TEXT:
        return first_line
    return first_line[: _SUBJECT_FROM_TEXT - 1] + "…"


def link_reason(linked: TicketRecord | None, rule: str) -> str | None:
    if linked is None:
        return None
    if rule == "ticket_number_not_participant":
        return f"quoted ticket #{linked.number} by someone outside it"
    return f"late reply to closed ticket #{linked.number}"


def _of_pairs(pairs: set[tuple[uuid.UUID, uuid.UUID]]) -> sa.ColumnElement[bool]:
    """Tickets of the pairs' contacts on the pairs' channels: a superset of the pairs (a batch's
    messages come over one channel or a few), read through the partial index on (contact,
    channel) with one array parameter each, which PostgreSQL plans well once for every batch; at
    100,000 calls a tuple ``IN`` of 500 pairs cost 31-59 ms a batch, a pair ``IN`` over ``unnest``
    (generic plan) 59 ms, this 15 ms."""
    return sa.and_(
        bulk.any_of(Ticket.contact_id, sorted({contact for contact, _ in pairs})),
        bulk.any_of(Ticket.channel_id, sorted({channel for _, channel in pairs})),
    )


class Engine:
    """One run of the engine over messages already stored raw and locked by the caller."""

    def __init__(
        self, hub: Hub, uow: UnitOfWork, connection: AsyncConnection, context: sla.SlaContext
    ) -> None:
        self.hub = hub
        self.uow = uow
        self.connection = connection
        self.context = context
        self.thread_window = timedelta(hours=hub.settings.thread_window_hours)
        self.reopen_window = timedelta(days=hub.settings.reopen_window_days)
        self.index = ThreadIndex()
        self.channels: dict[uuid.UUID, Channel] = {}
        self.contacts: dict[tuple[ChannelKind, str], _Contact] = {}
        self.identities: dict[tuple[ChannelKind, str], uuid.UUID] = {}
        self.keys: dict[tuple[uuid.UUID, str], tuple[ChannelKind, str]] = {}
        self.new_contacts: list[dict[str, Any]] = []
        self.new_identities: list[dict[str, Any]] = []
        self.renamed: dict[uuid.UUID, str] = {}
        self.candidates: dict[uuid.UUID, Candidate] = {}
        self.team_members: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.managers: dict[uuid.UUID, tuple[uuid.UUID | None, uuid.UUID | None]] = {}
        #: The senders' organizations' tier and calendar: what a new ticket's clocks depend on.
        self.organization_facts: dict[uuid.UUID, tuple[Tier, str]] = {}
        self.reply_tokens: dict[uuid.UUID, str] = {}
        # What the write step writes.
        self.windows: list[dict[str, Any]] = []
        self.left: dict[uuid.UUID, datetime | None] = {}
        self.thread_refs: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
        self.new_tickets: list[TicketRecord] = []
        self.ticket_rows: dict[uuid.UUID, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.attachments: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.assigned_at: dict[uuid.UUID, datetime] = {}
        self.raw_updates: list[dict[str, Any]] = []
        #: What the subscribers hear, in decision order; built once the batch's tickets are
        #: numbered, from what each ticket was when the decision was taken (:meth:`_ref`).
        self.announced: list[Callable[[], DomainEvent]] = []
        self.touched: dict[uuid.UUID, datetime] = {}
        self.results: dict[uuid.UUID, IngestResult] = {}
        self.order = 0
        self.new_id = bulk.RandomIds()
        self.new_token = bulk.RandomTokens(12)

    async def run(
        self, items: list[tuple[uuid.UUID, InboundMessage]], stages: Stages | None = None
    ) -> dict[uuid.UUID, IngestResult]:
        """Process the messages in order; each raw row's result (it is marked processed).
        ``stages`` hears when the reads and the decisions are done (:class:`Stages`)."""
        nows = [self.hub.clock.now() for _ in items]
        # When each message happened: now, or the channel's own trusted time (a call's start).
        moments = [
            m.sent_at if m.at_sent_time and m.sent_at else now
            for (_, m), now in zip(items, nows, strict=True)
        ]
        await self._load_channels([m for _, m in items])
        items = [
            (
                raw_id,
                message_size.within_limit(
                    self.hub.storage, m, self.hub.channels.body_limit(self.channels[m.channel_id].kind)
                ),
            )
            for raw_id, m in items
        ]
        messages = [m for _, m in items]
        await self._load_contacts(messages, nows)
        await self._load_routing(nows[0])
        await self._load_tickets(messages, min(nows[0], *moments))
        if stages is not None:
            stages.read.set()
        for n, ((raw_id, message), now, moment) in enumerate(zip(items, nows, moments, strict=True)):
            if n and n % _YIELD_EVERY == 0:
                # Hand the event loop back now and then: an in-process worker (``hub serve`` with
                # the embedded servers) shares it with the web server, which must answer WeChat
                # within 5 s, and this loop never waits on I/O by itself.
                await asyncio.sleep(0)
            self._decide(raw_id, message, moment, received=now)
        if stages is not None:
            stages.decided.set()
        await self._write()
        return self.results

    # -- load ------------------------------------------------------------------------------------

    def _key(self, message: InboundMessage) -> tuple[ChannelKind, str]:
        """The sender's identity key; asked three times per message, normalised once (a phone
        number's parse is the dearest step of a call's import)."""
        asked = (message.channel_id, message.sender.identity)
        found = self.keys.get(asked)
        if found is None:
            kind = self.channels[message.channel_id].kind
            found = self.keys[asked] = (kind, normalise(kind, message.sender.identity, keep_unparseable=True))
        return found

    async def _load_channels(self, messages: list[InboundMessage]) -> None:
        wanted = sorted({m.channel_id for m in messages})
        session = self.uow.session
        for channel in await session.scalars(sa.select(Channel).where(Channel.id.in_(wanted))):
            self.channels[channel.id] = channel
        if len(self.channels) < len(wanted):
            raise NotFound(what="channel")

    async def _load_contacts(self, messages: list[InboundMessage], nows: list[datetime]) -> None:
        """Resolve every sender (one lookup per kind) and create the new ones; an e-mail sender
        new to the hub joins the organization that owns their mail domain."""
        keys = dict.fromkeys(self._key(m) for m in messages)
        by_kind: dict[ChannelKind, list[str]] = defaultdict(list)
        for kind, value in keys:
            by_kind[kind].append(value)
        for kind, values in by_kind.items():
            rows = await self.connection.execute(
                sa.select(_CI.c.value, _CI.c.id, _C.c.id, _C.c.name, _C.c.organization_id)
                .join(_C, _C.c.id == _CI.c.contact_id)
                .where(_CI.c.kind == kind, bulk.any_of(_CI.c.value, values))
            )
            for value, identity_id, contact_id, contact_name, organization_id in rows:
                self.contacts[(kind, value)] = _Contact(contact_id, contact_name, organization_id)
                self.identities[(kind, value)] = identity_id
        organizations = await self._organizations_by_domain(
            [v for k, v in keys if k is ChannelKind.EMAIL and (k, v) not in self.contacts]
        )
        for message, now in zip(messages, nows, strict=True):
            key = self._key(message)
            name = message.sender.name
            found = self.contacts.get(key)
            if found is not None:
                if name and not found.name:
                    found.name = name[:200]
                    self.renamed[found.id] = found.name
                continue
            domain = email_domain(key[1]) if key[0] is ChannelKind.EMAIL else None
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

    async def _organizations_by_domain(self, addresses: list[str]) -> dict[str, uuid.UUID]:
        domains = sorted({d for a in addresses for d in [email_domain(a)] if d})
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
        return organizations

    async def _write_contacts(self) -> None:
        if self.new_contacts:
            rows = {c["id"]: c for c in self.new_contacts}
            for contact_id, name in list(self.renamed.items()):
                if contact_id in rows:  # created by this batch: inserted with its final name
                    rows[contact_id]["name"] = name
                    del self.renamed[contact_id]
            await _INSERT_CONTACT.execute(self.connection, self.new_contacts)
            identities = sorted(self.new_identities, key=lambda r: (r["kind"], r["value"]))
            won = set((await _INSERT_IDENTITY.execute(self.connection, identities)).scalars())
            if len(won) < len(identities):
                raise ContactRace()
        if self.renamed:
            await self.connection.execute(
                sa.update(_C).where(_C.c.id == sa.bindparam("b_id")).values(name=sa.bindparam("b_name")),
                [{"b_id": i, "b_name": n} for i, n in sorted(self.renamed.items())],
            )
            await contacts.refresh_ticket_search(self.uow.session, self.renamed)

    async def _load_routing(self, now: datetime) -> None:
        """Lock and load everyone a new ticket could go to, once (as :func:`.assignment.route`)."""
        organization_ids = sorted({c.organization_id for c in self.contacts.values() if c.organization_id})
        if organization_ids:
            for org_id, manager, backup, tier, calendar in await self.connection.execute(
                sa.select(
                    Organization.id,
                    Organization.account_manager_id,
                    Organization.backup_manager_id,
                    Organization.tier,
                    Organization.calendar,
                ).where(Organization.id.in_(organization_ids))
            ):
                self.managers[org_id] = (manager, backup)
                self.organization_facts[org_id] = (tier, calendar)
        manager_ids = sorted({m for pair in self.managers.values() for m in pair if m})
        team_ids = sorted({c.team_id for c in self.channels.values() if c.team_id})
        if not manager_ids and not team_ids:
            return
        managers = User.id.in_(manager_ids)
        team_members = (
            sa.and_(User.team_id.in_(team_ids), User.role.in_([Role.AGENT, Role.SUPERVISOR]))
            if team_ids
            else sa.false()
        )
        locked = await self.connection.execute(
            sa.select(User.id, User.team_id, User.role)
            .where(sa.or_(managers, team_members))
            .order_by(User.id)
            .with_for_update()
        )
        for user_id, team_id, role in locked:
            if team_id in team_ids and role in (Role.AGENT, Role.SUPERVISOR):
                self.team_members.setdefault(team_id, []).append(user_id)
        for candidate in await assignment.candidates(self.uow.session, sa.or_(managers, team_members), now):
            self.candidates[candidate.user_id] = candidate

    async def _select_tickets(
        self,
        where: sa.ColumnElement[bool],
        pairs: set[tuple[uuid.UUID, uuid.UUID]] | None = None,
    ) -> list[TicketRecord]:
        """The tickets ``where`` selects (those of a (contact, channel) of ``pairs`` only, when
        given: :func:`_of_pairs` selects a superset), remembered in the index."""
        rows = await self.connection.execute(
            sa.select(*_TICKET_COLUMNS, Ticket.reply_token, Ticket.merged_into_id).where(where)
        )
        found = []
        #: A merged ticket's reply token leads to the ticket it went into (``hub.tickets.merge``).
        merged: dict[str, uuid.UUID] = {}
        for row in rows:
            if pairs is not None and (row.contact_id, row.channel_id) not in pairs:
                continue
            if row[-1] is not None:
                merged[cast(str, row[-2])] = row[-1]
                continue
            # _TICKET_COLUMNS are TicketRecord's fields in order; the row type only knows their union.
            ticket = self.index.remember(TicketRecord(*cast("tuple[Any, ...]", row[:-2])))
            self.index.by_token[cast(str, row[-2])] = ticket.id
            found.append(ticket)
        if merged:
            await self._select_tickets(Ticket.id.in_(sorted(set(merged.values()))))
            for token, target in merged.items():
                self.index.by_token[token] = target
        return found

    async def _load_tickets(self, messages: list[InboundMessage], now: datetime) -> None:
        """Every ticket a message of the batch could join, and what the rules need to know of it."""
        index, connection = self.index, self.connection
        references = sorted({r for m in messages for r in m.references})
        if references:
            rows = await connection.execute(
                sa.select(Message.external_id, Message.created_at, Message.ticket_id).where(
                    Message.external_id.in_(references)
                )
            )
            for external_id, created_at, ticket_id in rows:
                if external_id is not None:  # matched by IN: never null, as the row type cannot tell
                    index.refs[external_id].append((created_at, -1, ticket_id))
        thread_refs = sorted({(m.channel_id, m.thread_ref) for m in messages if m.thread_ref})
        if thread_refs:
            known = await connection.execute(
                sa.select(ThreadRef.channel_id, ThreadRef.ref, ThreadRef.ticket_id).where(
                    sa.tuple_(ThreadRef.channel_id, ThreadRef.ref).in_(thread_refs)
                )
            )
            for channel_id, ref, ticket_id in known:
                index.by_thread_ref[(channel_id, ref)] = ticket_id
        tokens = sorted({m.reply_token for m in messages if m.reply_token})
        numbers = sorted({n for m in messages if (n := m.ticket_number_hint) is not None and valid_number(n)})
        ids = sorted(
            {t for entries in index.refs.values() for _, _, t in entries}
            | set(index.by_thread_ref.values())
            | {m.survey_ticket_id for m in messages if m.survey_ticket_id}
        )
        if tokens or ids or numbers:
            await self._select_tickets(
                sa.or_(Ticket.reply_token.in_(tokens), Ticket.id.in_(ids), Ticket.number.in_(numbers))
            )
        await self._load_authors(messages, numbers)
        await self._load_conversations(messages, now)
        await self._load_successors()

    async def _load_authors(self, messages: list[InboundMessage], numbers: list[int]) -> None:
        """Who wrote in the tickets senders quote by number (a colleague in Cc takes part too)."""
        quoted = sorted(self.index.by_number[n] for n in numbers if n in self.index.by_number)
        if not quoted:
            return
        senders = sorted({self.contacts[self._key(m)].id for m in messages if m.ticket_number_hint})
        rows = await self.connection.execute(
            sa.select(Message.ticket_id, Message.author_contact_id)
            .where(Message.ticket_id.in_(quoted), Message.author_contact_id.in_(senders))
            .distinct()
        )
        self.index.authors.update((t, c) for t, c in rows if c is not None)

    async def _load_conversations(self, messages: list[InboundMessage], now: datetime) -> None:
        """The tickets threading by recency could join (the sender's active tickets on the channel
        that moved within the thread window of the batch's first instant), and the latest ticket
        of each notice's sender. A ticket outside these can only become a candidate by being
        touched, hence known, by the batch."""
        recent: set[tuple[uuid.UUID, uuid.UUID]] = set()
        latest: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for message in messages:
            pair = (self.contacts[self._key(message)].id, message.channel_id)
            if message.thread_by_recency and message.thread_ref is None:
                recent.add(pair)
            if not message.opens_ticket:
                latest.add(pair)
        if recent:
            await self._select_tickets(
                sa.and_(
                    _of_pairs(recent),
                    Ticket.status.in_(sorted(s.value for s in ACTIVE_STATUSES)),
                    Ticket.last_message_at >= now - self.thread_window,
                ),
                recent,
            )
        if latest:
            newest = (
                sa.select(Ticket.id)
                .where(_of_pairs(latest))
                .order_by(
                    Ticket.contact_id,
                    Ticket.channel_id,
                    Ticket.last_message_at.desc().nulls_last(),
                    Ticket.number.desc(),
                )
                .ext(pg.distinct_on(Ticket.contact_id, Ticket.channel_id))
            )
            await self._select_tickets(Ticket.id.in_(newest), latest)

    async def _load_successors(self) -> None:
        """For every closed ticket a message may match, the newest ticket a late reply opened: the
        old thread's keys still point at the closed ticket, so without it every further late reply
        would open yet another ticket."""
        closed = sorted(t.id for t in self.index.tickets.values() if t.status is TicketStatus.CLOSED)
        if not closed:
            return
        newest = (
            sa.select(Ticket.id)
            .where(Ticket.linked_ticket_id.in_(closed))
            .order_by(Ticket.linked_ticket_id, Ticket.created_at.desc(), Ticket.number.desc())
            .ext(pg.distinct_on(Ticket.linked_ticket_id))
        )
        for successor in await self._select_tickets(Ticket.id.in_(newest)):
            assert successor.linked_ticket_id is not None
            self.index.successors[successor.linked_ticket_id] = successor.id

    # -- decide ----------------------------------------------------------------------------------

    def _decide(
        self, raw_id: uuid.UUID, message: InboundMessage, now: datetime, *, received: datetime
    ) -> None:
        """``now`` is when the message happened (its log's instant), ``received`` when it reached us."""
        channel = self.channels[message.channel_id]
        key = self._key(message)
        contact = self.contacts[key]
        self._note_identity(message, channel, self.identities[key], now)
        match = find_ticket(
            self.index,
            message,
            contact.id,
            channel.id,
            now=now,
            thread_window=self.thread_window,
            reopen_window=self.reopen_window,
        )
        ticket = match.ticket
        if message.survey_ticket_id is not None and ticket is None:
            raise NotFound(what="ticket")
        if ticket is None and not message.opens_ticket:
            ticket = self.index.latest(contact.id, channel.id)
            if ticket is None:
                # A notice (an unfollow, a menu link) from someone with no conversation here: kept
                # raw and on their identity; a ticket of its own would only be work for nobody.
                notice = IngestResult(ticket_id=None, message_id=None, duplicate=False)
                self._processed(raw_id, notice, received)
                self._announce_message(channel, message, notice, None, now)
                return
        created = ticket is None
        if ticket is None:
            ticket = self._open(channel, contact, message, now, match.linked, match.rule)
        elif wakes(message, ticket.status):
            self._move(ticket, TicketStatus.OPEN, now, by="customer")
        if message.thread_ref:
            key_ref = (channel.id, message.thread_ref)
            self.index.by_thread_ref[key_ref] = ticket.id
            row = self.thread_refs.setdefault(
                key_ref, {"channel_id": channel.id, "ref": message.thread_ref, "created_at": now}
            )
            row["ticket_id"] = ticket.id
        message_id = self._append(ticket, channel, contact, message, now)
        if message.direction == "outbound":
            if message.reached:
                self._human_response(ticket, message.author_user_id, now)
        elif created and message.answered_by_user_id is None:
            self._route(ticket, now)
        if message.answered_at is not None:
            self._answered_on_channel(ticket, message, message_id, message.answered_at)
        self.touched[ticket.id] = max(received, self.touched.get(ticket.id, received))
        result = IngestResult(
            ticket_id=ticket.id, message_id=message_id, duplicate=False, created_ticket=created
        )
        self._announce_message(channel, message, result, ticket, now)
        self._processed(raw_id, result, received)

    def _ref(self, ticket: TicketRecord) -> Callable[[], TicketRef]:
        """The ticket as it is now, its number read when the event is built (new tickets are
        numbered by the write step)."""
        team, assignee, organization = ticket.team_id, ticket.assignee_id, ticket.organization_id
        status = ticket.status.value
        return lambda: TicketRef(
            id=ticket.id,
            number=ticket.number,
            team_id=team,
            assignee_id=assignee,
            organization_id=organization,
            status=status,
        )

    def _announce_message(
        self,
        channel: Channel,
        message: InboundMessage,
        result: IngestResult,
        ticket: TicketRecord | None,
        now: datetime,
    ) -> None:
        ref = self._ref(ticket) if ticket is not None else None
        subject = ticket.subject if ticket is not None else None
        self.announced.append(
            lambda: MessageIngested(
                at=now,
                channel_kind=channel.kind.value,
                message=message,
                result=result,
                ticket=ref() if ref is not None else None,
                subject=subject,
            )
        )

    def _processed(self, raw_id: uuid.UUID, result: IngestResult, now: datetime) -> None:
        self.raw_updates.append(
            {
                "id": raw_id,
                "ticket_id": result.ticket_id,
                "message_id": result.message_id,
                "processed_at": now,
            }
        )
        self.results[raw_id] = result

    def _note_identity(
        self, message: InboundMessage, channel: Channel, identity_id: uuid.UUID, now: datetime
    ) -> None:
        """What the message says about its sender's address: a reply window, a follow or unfollow."""
        if message.direction != "inbound":
            return
        if message.sender_status == "left":
            self.left[identity_id] = now
        elif message.sender_status == "joined":
            self.left[identity_id] = None
        if message.window is not None:
            self.windows.append(
                {
                    "channel_id": channel.id,
                    "identity_id": identity_id,
                    "opened_at": now,
                    "expires_at": now + timedelta(seconds=message.window.seconds),
                    "replies_allowed": message.window.replies,
                    "replies_used": 0,
                    "b_now": now,
                }
            )

    def _open(
        self,
        channel: Channel,
        contact: _Contact,
        message: InboundMessage,
        now: datetime,
        linked: TicketRecord | None,
        rule: str,
    ) -> TicketRecord:
        subject = ((message.subject or "").strip() or subject_from(message))[:500]
        ticket = TicketRecord(
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
            created_at=now,
            new=True,
        )
        reply_token = self.new_token()
        self.ticket_rows[ticket.id] = {
            "id": ticket.id,
            "channel_kind": channel.kind,
            "reply_token": reply_token,
            "created_at": now,
            "words": search.document_tokens(subject, contact.name),
        }
        self.index.tickets[ticket.id] = ticket
        self.index.by_token[reply_token] = ticket.id
        self.index.conversations[(contact.id, channel.id)].append(ticket)
        self.new_tickets.append(ticket)
        if linked is not None:
            self.index.successors[linked.id] = ticket.id
        self._event(
            ticket,
            TicketEventKind.CREATED,
            now,
            channel_kind=channel.kind,
            linked_ticket_id=linked.id if linked else None,
        )
        ref = self._ref(ticket)
        self.announced.append(
            lambda: events.TicketOpened(
                at=now,
                ticket=ref(),
                channel_id=channel.id,
                contact_id=contact.id,
                linked_reason=link_reason(linked, rule),
            )
        )
        return ticket

    def _move(
        self,
        ticket: TicketRecord,
        target: TicketStatus,
        now: datetime,
        *,
        by: str,
        actor: uuid.UUID | None = None,
    ) -> None:
        """A client's message reopening the ticket or ending a wait on them, or an agent's call
        taking up a new ticket: the same events as a move by hand (``status_changed`` plus the
        typed events of :func:`hub.tickets.status.events_for`), so the status history has no gaps."""
        previous = ticket.status
        ticket.status = target
        ticket.dirty.add("status")
        if (previous in _ACTIVE) != (target in _ACTIVE):
            self._load_changed(ticket.assignee_id, +1 if target in _ACTIVE else -1)
        self._event(
            ticket,
            TicketEventKind.STATUS_CHANGED,
            now,
            actor_user_id=actor,
            previous=previous,
            status=target,
            by=by,
        )
        for kind in events_for(previous, target):
            self._event(ticket, kind, now, actor_user_id=actor, previous=previous, by=by)
        if previous not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            return
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.dirty.update(("reopen_count", "resolved_at", "closed_at"))
        ref = self._ref(ticket)
        self.announced.append(lambda: events.TicketReopened(at=now, ticket=ref(), previous=previous.value))

    def _append(
        self,
        ticket: TicketRecord,
        channel: Channel,
        contact: _Contact,
        message: InboundMessage,
        now: datetime,
    ) -> uuid.UUID:
        message_id = self.new_id()
        outbound = message.direction == "outbound"
        self.messages.append(
            {
                "id": message_id,
                "ticket_id": ticket.id,
                "direction": Direction.OUTBOUND if outbound else Direction.INBOUND,
                "type": message.type,
                "channel_id": channel.id,
                "author_user_id": message.author_user_id if outbound else None,
                "author_contact_id": None if outbound else contact.id,
                "text": message.text,
                "html": sanitise(message.html) if message.html else None,
                "external_id": message.external_id,
                "is_auto": message.is_auto,
                "delivery_status": (DeliveryStatus.QUEUED if message.deliver else DeliveryStatus.SENT)
                if outbound
                else None,
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
        self.index.refs[message.external_id].append((now, self.order, ticket.id))
        if not outbound:
            self.index.authors.add((ticket.id, contact.id))
        # A call log imported late may be older than what the ticket already holds.
        ticket.last_message_at = max(now, ticket.last_message_at or now)
        ticket.dirty.update(("last_message_at", "updated_at"))
        if outbound:
            if not message.reached:  # an attempt that reached nobody: on the ticket, in no clock
                return message_id
            self._event(
                ticket,
                TicketEventKind.HUMAN_RESPONSE,
                now,
                actor_user_id=message.author_user_id,
                message_id=message_id,
            )
        else:
            quiet = message.is_auto or message.survey_ticket_id is not None
            kind = TicketEventKind.AUTO_MESSAGE if quiet else TicketEventKind.CUSTOMER_MESSAGE
            self._event(ticket, kind, now, message_id=message_id, channel_kind=channel.kind)
        return message_id

    def _human_response(self, ticket: TicketRecord, agent: uuid.UUID | None, now: datetime) -> None:
        """An agent's outbound message (a call they placed) answers the ticket as a reply would:
        a new ticket is taken up, and an unassigned one goes to that agent."""
        if ticket.status is TicketStatus.NEW:
            self._move(ticket, TicketStatus.OPEN, now, by="agent", actor=agent)
        if ticket.assignee_id is None and agent is not None:
            self._assign(ticket, agent, now, actor=agent, reason=ANSWERED)

    def _answered_on_channel(
        self, ticket: TicketRecord, message: InboundMessage, message_id: uuid.UUID, at: datetime
    ) -> None:
        """A client's message an agent answered on the channel itself (a call picked up): the
        response happened there, at that instant; the ticket is taken up like after a reply."""
        agent = message.answered_by_user_id
        self._event(ticket, TicketEventKind.HUMAN_RESPONSE, at, actor_user_id=agent, message_id=message_id)
        self._human_response(ticket, agent, at)

    def _route(self, ticket: TicketRecord, now: datetime) -> None:
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
        if choice.user_id is not None:
            self._assign(ticket, choice.user_id, now, actor=CHANNEL.user_id, reason=choice.reason)

    def _assign(
        self, ticket: TicketRecord, user_id: uuid.UUID, now: datetime, *, actor: uuid.UUID | None, reason: str
    ) -> None:
        ticket.assignee_id = user_id
        ticket.dirty.add("assignee_id")
        self._load_changed(user_id, +1 if ticket.status in _ACTIVE else 0, now)
        self.assigned_at[user_id] = now
        self._event(
            ticket,
            TicketEventKind.ASSIGNED,
            now,
            actor_user_id=actor,
            assignee_id=user_id,
            previous_assignee_id=None,
            team_id=ticket.team_id,
            reason=reason,
        )
        ref = self._ref(ticket)
        by = CHANNEL if actor is None else Actor(kind="user", user_id=actor)
        self.announced.append(
            lambda: events.Assigned(
                at=now, ticket=ref(), actor=by, previous_assignee_id=None, assignee_id=user_id, reason=reason
            )
        )

    def _load_changed(self, user_id: uuid.UUID | None, delta: int, now: datetime | None = None) -> None:
        found = self.candidates.get(user_id) if user_id else None
        if found is None:
            return
        changes: dict[str, Any] = {"open_tickets": found.open_tickets + delta}
        if now is not None:
            changes["last_assigned_at"] = now
        self.candidates[found.user_id] = replace(found, **changes)

    def _event(self, ticket: TicketRecord, kind: TicketEventKind, at: datetime, **data: Any) -> None:
        message_id = data.pop("message_id", None)
        actor_user_id = data.pop("actor_user_id", None)
        self.events.append(
            {
                "ticket_id": ticket.id,
                "kind": kind,
                "at": at,
                "actor_user_id": actor_user_id,
                "message_id": message_id,
                "data": {k: jsonable(v) for k, v in data.items()},
                "dedupe_key": None,
            }
        )

    # -- write -----------------------------------------------------------------------------------

    async def _write(self) -> None:
        now = self.hub.clock.now()
        opened_facts = [self._opened_facts(t) for t in self.new_tickets]
        for name in sorted({f.calendar for f in opened_facts}):
            await self.context.calendar(name)  # loaded now: the evaluation below reads no table
        # The new tickets' clocks are computed while the statements below run: Python and the
        # database work at once instead of in turn.
        evaluating = asyncio.create_task(self._evaluate_opened(opened_facts, now))
        try:
            await self._write_all(now, evaluating)
        finally:
            if not evaluating.done():
                evaluating.cancel()
                await asyncio.gather(evaluating, return_exceptions=True)
        for announce in self.announced:
            self.uow.emit(announce())

    async def _write_all(self, now: datetime, evaluating: asyncio.Task[list[dict[str, Any]]]) -> None:
        connection = self.connection
        if self.windows:
            # Identity order (each identity's grants still in message order): concurrent batches
            # granting windows to the same senders lock their rows in one order, never deadlock.
            windows = sorted(self.windows, key=lambda w: (w["channel_id"], w["identity_id"]))
            await connection.execute(_GRANT_WINDOW, windows)
        if self.left:
            await connection.execute(
                sa.update(_CI).where(_CI.c.id == sa.bindparam("b_id")).values(left_at=sa.bindparam("b_left")),
                [{"b_id": i, "b_left": at} for i, at in sorted(self.left.items())],
            )
        await self._write_tickets()
        if self.thread_refs:
            statement = insert(ThreadRef).values(
                [{"id": self.new_id(), **row} for _, row in sorted(self.thread_refs.items())]
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["channel_id", "ref"], set_={"ticket_id": statement.excluded.ticket_id}
                )
            )
        if self.messages:
            await _INSERT_MESSAGE.execute(connection, self.messages)
        if self.attachments:
            await _INSERT_ATTACHMENT.execute(connection, self.attachments)
        if self.events:
            await _INSERT_EVENT.execute(connection, self.events)
        if self.assigned_at:
            await connection.execute(
                sa.update(_U)
                .where(_U.c.id == sa.bindparam("b_id"))
                .values(last_assigned_at=sa.bindparam("b_at")),
                [{"b_id": u, "b_at": at} for u, at in sorted(self.assigned_at.items())],
            )
        await self._refresh_clocks(now)
        opened = await evaluating
        if opened:
            await _INSERT_EVALUATED_CLOCKS.execute(connection, opened)
        if self.raw_updates:  # rows locked in id order by the caller
            await _MARK_PROCESSED.execute(connection, self.raw_updates)

    async def _write_tickets(self) -> None:
        connection = self.connection
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
            rows = []
            for ticket, number in zip(self.new_tickets, numbers, strict=True):
                ticket.number = number
                rows.append(
                    {
                        **self.ticket_rows[ticket.id],
                        "number": number,
                        "subject": ticket.subject,
                        "status": ticket.status,
                        "contact_id": ticket.contact_id,
                        "organization_id": ticket.organization_id,
                        "channel_id": ticket.channel_id,
                        "team_id": ticket.team_id,
                        "assignee_id": ticket.assignee_id,
                        "linked_ticket_id": ticket.linked_ticket_id,
                        "updated_at": ticket.last_message_at,
                        "last_message_at": ticket.last_message_at,
                    }
                )
            await _INSERT_TICKET.execute(connection, rows)
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for ticket in sorted(self.index.tickets.values(), key=lambda t: t.id):
            if ticket.new or not ticket.dirty:
                continue
            columns = tuple(sorted(ticket.dirty))
            values = {c: getattr(ticket, c) for c in columns if c != "updated_at"}
            if "updated_at" in columns:
                values["updated_at"] = self.touched.get(ticket.id, ticket.last_message_at)
            values["id"] = ticket.id
            updates[columns].append(values)
        for columns, rows in updates.items():
            await _ticket_update(columns).execute(connection, rows)

    async def _refresh_clocks(self, now: datetime) -> None:
        """:func:`.sla.refresh` for every touched ticket the batch did not open, in one pass:
        missing rows created, all locked in ticket order (so that two transactions refreshing one
        ticket write in turn, each from the log as the other left it), evaluated from the log,
        written by one statement."""
        known = sorted(i for i in self.touched if i not in self.ticket_rows)
        if not known:
            return
        await _INSERT_CLOCKS.execute(self.connection, [{"ticket_id": i} for i in known])
        await self.connection.execute(
            sa.select(_CLOCKS.c.ticket_id)
            .where(bulk.any_of(_CLOCKS.c.ticket_id, known))
            .order_by(_CLOCKS.c.ticket_id)
            .with_for_update()
        )
        updated = [
            {"ticket_id": ticket_id, **sla.stored_values(evaluation, now)}
            for ticket_id, evaluation in await sla.evaluate_tickets(self.context, known, now)
        ]
        if updated:
            await _WRITE_CLOCKS.execute(self.connection, updated)

    def _opened_facts(self, ticket: TicketRecord) -> sla.TicketFacts:
        """What :func:`.sla.facts_for` would read of a ticket this batch opens: the defaults of a
        new ticket (no playbook runs on it before the commit) and its organization's tier and
        calendar."""
        tier, calendar = (
            self.organization_facts.get(ticket.organization_id, (None, None))
            if ticket.organization_id
            else (None, None)
        )
        return sla.TicketFacts(
            ticket.id,
            self.ticket_rows[ticket.id]["channel_kind"],
            Priority.NORMAL,
            tier,
            calendar or calendar_names.DEFAULT,
        )

    async def _evaluate_opened(self, opened: list[sla.TicketFacts], now: datetime) -> list[dict[str, Any]]:
        """The clock rows of the tickets this batch opened, evaluated from the events it decided:
        no other transaction sees these tickets, so their whole log is here, in the order the
        write step inserts it (:func:`.sla.events_for`'s order: by time, then as logged; none of
        their replies can have failed yet, and none has a recorded alert)."""
        logs: dict[uuid.UUID, list[sla.ClockInput]] = {facts.ticket_id: [] for facts in opened}
        for event in self.events:
            if event["kind"] in CLOCK_EVENTS and (entries := logs.get(event["ticket_id"])) is not None:
                entries.append(sla.ClockInput(event["kind"], event["at"]))
        rows = []
        for n, facts in enumerate(sorted(opened, key=lambda f: f.ticket_id)):
            if n and n % _EVALUATE_SLICE == 0:
                await asyncio.sleep(0)
            calendar = await self.context.calendar(facts.calendar)  # loaded: no statement
            # Stable: as logged within an instant.
            entries = sorted(logs[facts.ticket_id], key=lambda e: e.at)
            evaluation = self.context.evaluate_on(calendar, facts, entries, set(), now)
            rows.append({"ticket_id": facts.ticket_id, **sla.stored_values(evaluation, now)})
        return rows
