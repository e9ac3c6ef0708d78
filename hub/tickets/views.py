"""Ticket lists with filters, search and cursor pagination, and one ticket with its thread."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.domain import ACTIVE_STATUSES, ChannelKind, Direction, Priority, Scenario, TicketStatus
from hub.errors import HubError, InvalidInput
from hub.filters import equal_where_given
from hub.models import (
    Attachment,
    Channel,
    Contact,
    Message,
    Organization,
    Ticket,
    TicketEvent,
    TicketSla,
    User,
)
from hub.scope import Row
from hub.sla.targets import ClockStatus, Target
from hub.tickets import due_order, search, windows, word_stats
from hub.tickets.tickets import load_for
from hub.tickets.windows import WindowState

MAX_PAGE = 200


class BadCursor(HubError):
    code = "bad_cursor"


@dataclass(frozen=True)
class TicketFilter:
    status: list[TicketStatus] | None = None
    assignee: str | None = None  # a user id, "me" or "none"
    team_id: uuid.UUID | None = None
    channel: ChannelKind | None = None
    organization_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    scenario: Scenario | None = None
    priority: Priority | None = None
    tag: str | None = None
    q: str | None = None
    #: Where the SLA stands: ``breached``, ``at_risk`` (a running target due within the hour) or
    #: ``on_track`` (a target running, none breached nor due within the hour); staff only.
    sla: str | None = None
    #: Only tickets with an SLA target breached, or running past its due time (staff only).
    breached: bool = False
    #: Only phone tickets owing a callback: a client's call nobody picked up and nobody has called
    #: back yet (the client waits on the team; staff only).
    callback: bool = False


def encode_cursor(number: int, kind: str = "n") -> str:
    """``n:<number>``: the page after that ticket, newest first; ``o:<offset>``: rows skipped in
    any other order (a ticket's place in those moves as it changes, so they page by position)."""
    return base64.urlsafe_b64encode(f"{kind}:{number}".encode()).decode().rstrip("=")


#: A cursor is a client's word: only digits that fit the ``bigint`` ticket number are read (a
#: larger one overflowed the driver: a 500), not ``int()``'s signs, spaces and underscores.
_CURSOR_NUMBER = re.compile(r"([no]):([1-9][0-9]{0,18})")
_LARGEST_NUMBER = 2**63 - 1
#: An offset past this many rows is no inbox page any more (and would make PostgreSQL count them).
MAX_OFFSET = 10_000


def _decode(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor() from None
    match = _CURSOR_NUMBER.fullmatch(raw)
    if match is None or int(match[2]) > (_LARGEST_NUMBER if match[1] == "n" else MAX_OFFSET):
        raise BadCursor()
    return match[1], int(match[2])


def decode_cursor(cursor: str) -> int:
    kind, number = _decode(cursor)
    if kind != "n":
        raise BadCursor()
    return number


#: The orders a list can take: ``<key>`` ascending, ``-<key>`` descending. ``due`` is the inbox's
#: default: the earliest running SLA target first, then whoever has waited longest.
SORT_KEYS = (
    "number",
    "subject",
    "contact",
    "organization",
    "channel",
    "status",
    "priority",
    "due",
    "assignee",
    "activity",
)
SORTS = frozenset([*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)])
NEWEST_FIRST = "-number"
_PRIORITY_RANK = {p: n for n, p in enumerate(Priority)}
_STATUS_RANK = {s: n for n, s in enumerate(TicketStatus)}


def _sort_column(key: str) -> sa.ColumnElement[Any]:
    columns: dict[str, Any] = {
        "number": Ticket.number,
        "subject": Ticket.subject,
        "contact": Contact.name,
        "organization": Organization.name,
        "channel": Ticket.channel_kind,
        "status": sa.case(_STATUS_RANK, value=Ticket.status),
        "priority": sa.case(_PRIORITY_RANK, value=Ticket.priority),
        "due": TicketSla.due_at(),
        "assignee": User.name,
        "activity": Ticket.last_message_at,
    }
    return columns[key]  # type: ignore[no-any-return]


def _ordered(query: sa.Select[*Row], sort: str, *, walk: bool = True) -> sa.Select[*Row]:
    """The joins the order needs, then the order, ties broken newest first (a total order).

    ``walk=False``: the same order, written so that no index provides it (``number + 0``), for a
    list of few rows: PostgreSQL then collects them and sorts, instead of walking an index in
    order and testing every row for a match that may never come (:mod:`hub.tickets.word_stats`)."""
    key = sort.lstrip("-")
    if key == "organization":
        query = query.outerjoin(Organization, Organization.id == Ticket.organization_id)
    elif key == "assignee":
        query = query.outerjoin(User, User.id == Ticket.assignee_id)
    elif key == "due":
        query = query.outerjoin(TicketSla, TicketSla.ticket_id == Ticket.id)
    number: sa.ColumnElement[int] = Ticket.number.expression if walk else Ticket.number + 0
    if key == "number":
        return query.order_by(number.desc() if sort.startswith("-") else number)
    column = _sort_column(key) if walk else sa.func.coalesce(_sort_column(key))
    first = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    if key == "due":  # then the longest wait
        return query.order_by(first, TicketSla.waiting_since.asc().nulls_last(), number.desc())
    return query.order_by(first, number.desc())


#: ``me``, ``none`` or a user id written as the API writes ids; the API schema states it too.
ASSIGNEE = "^(me|none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"


def _filtered(query: sa.Select[*Row], actor: Actor, f: TicketFilter) -> sa.Select[*Row]:
    if f.status:
        query = query.where(Ticket.status.in_([s.value for s in f.status]))
    if f.assignee == "me":
        query = query.where(Ticket.assignee_id == actor.user_id)
    elif f.assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif f.assignee:
        if not re.fullmatch(ASSIGNEE, f.assignee):
            raise InvalidInput(detail="assignee must be a user id, 'me' or 'none'")
        query = query.where(Ticket.assignee_id == uuid.UUID(f.assignee))
    query = equal_where_given(
        query,
        (Ticket.team_id, f.team_id),
        (Ticket.channel_kind, f.channel),
        (Ticket.organization_id, f.organization_id),
        (Ticket.contact_id, f.contact_id),
        (Ticket.scenario, f.scenario),
        (Ticket.priority, f.priority),
    )
    if f.tag:
        query = query.where(Ticket.tags.contains([f.tag.strip().lower()]))
    if f.breached:
        permissions.require_staff(actor)
        query = query.where(Ticket.id.in_(_late_ids()))
    if f.callback:
        permissions.require_staff(actor)
        waiting = sa.select(TicketSla.ticket_id).where(TicketSla.waiting_since.is_not(None))
        query = query.where(Ticket.channel_kind == ChannelKind.PHONE, Ticket.id.in_(waiting))
    if f.sla:
        permissions.require_staff(actor)
        query = query.where(_sla_state(f.sla))
    return query


_AT_RISK = sa.text("interval '1 hour'")


def _sla_state(state: str) -> sa.ColumnElement[bool]:
    if state == "breached":
        return Ticket.id.in_(_late_ids())
    soon = sa.select(TicketSla.ticket_id).where(
        TicketSla.due_at() > sa.func.now(), TicketSla.due_at() <= sa.func.now() + _AT_RISK
    )
    if state == "at_risk":
        return sa.and_(Ticket.id.in_(soon), Ticket.id.not_in(_late_ids()))
    if state == "on_track":
        running = sa.select(TicketSla.ticket_id).where(TicketSla.due_at() > sa.func.now() + _AT_RISK)
        return sa.and_(Ticket.id.in_(running), Ticket.id.not_in(_late_ids()))
    raise InvalidInput(detail="sla must be breached, at_risk or on_track")


def _late_ids() -> sa.Select[uuid.UUID]:
    """Tickets whose current cycle has a target breached, or one running past its due time that
    the sweep has not reached yet: the people waiting do not wait for the sweep."""
    overdue = [
        sa.and_(
            getattr(TicketSla, f"{target}_state") == ClockStatus.ACTIVE,
            getattr(TicketSla, f"{target}_due_at") <= sa.func.now(),
        )
        for target in Target
    ]
    return sa.select(TicketSla.ticket_id).where(sa.or_(TicketSla.breached, *overdue))


def _in_messages(term: str) -> sa.Exists:
    """One of the ticket's messages holds the term (GIN-indexed; per ticket, its messages index).

    Internal notes are never searched: they carry no search document (``hub.tickets.tickets``),
    and the direction filter keeps it so for any note written before that."""
    return sa.exists().where(
        Message.ticket_id == Ticket.id,
        search.matches_tsquery(Message.search, term),
        Message.direction != Direction.NOTE,
    )


def _anywhere(term: str) -> sa.ColumnElement[bool]:
    """The subject or contact name hold the term, or one of the ticket's messages does."""
    return sa.or_(search.matches_tsquery(Ticket.search, term), _in_messages(term))


#: Above these shares of rows holding a word, walking the list's order finds a page of matches
#: sooner than collecting them all: a ticket is tested by its own row, a message by a lookup.
COMMON_IN_TICKETS = 0.01
COMMON_IN_MESSAGES = 0.005


@dataclass(frozen=True)
class _Term:
    tsquery: str
    share_in_tickets: float
    share_in_messages: float


async def _terms(session: AsyncSession, q: str) -> list[_Term]:
    stats = await word_stats.shares(session)
    found = []
    for word, tsquery in zip(search.query_terms(q), search.tsquery_terms(q), strict=True):
        prefix = tsquery.endswith(":*")
        found.append(
            _Term(
                tsquery,
                word_stats.share(stats, ("tickets", "search"), word, prefix=prefix),
                word_stats.share(stats, ("messages", "search"), word, prefix=prefix),
            )
        )
    return found


#: A word in at most this many messages is collected first; in more, the list walks.
RARE_MESSAGES = 20_000


async def _collected(session: AsyncSession, tsquery: str) -> list[uuid.UUID] | None:
    """The tickets whose messages hold a rare word, read from the GIN index alone (a bitmap scan:
    the planner may neither walk an index nor scan the table on the strength of its guess), or
    None when the word turns out to be in more than ``RARE_MESSAGES`` messages."""
    await session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    await session.execute(sa.text("SET LOCAL enable_indexscan = off"))
    try:
        rows = await session.scalars(
            sa.select(Message.ticket_id)
            .where(search.matches_tsquery(Message.search, tsquery), Message.direction != Direction.NOTE)
            .limit(RARE_MESSAGES + 1)
        )
        found = list(rows)
    finally:
        await session.execute(sa.text("SET LOCAL enable_seqscan = on"))
        await session.execute(sa.text("SET LOCAL enable_indexscan = on"))
    return None if len(found) > RARE_MESSAGES else list(dict.fromkeys(found))


async def _searched(
    session: AsyncSession,
    query: sa.Select[*Row],
    terms: list[_Term],
    sort: str,
    window: int,
    *,
    clocked: bool = True,
) -> sa.Select[*Row]:
    """The list's rows that hold every term, each in any place of the ticket (subject, contact
    name, a message), of which only the first ``window`` in the list's order are looked for.

    One term (the driver: the rarest) is looked for in two branches, the ticket's own document and
    its messages, each ordered and cut at the window, then the two are joined. A branch walks the
    list's order and stops at the window when its word is common there. Otherwise it starts from
    the matches: the ticket's document from its GIN index, sorted; the messages' tickets collected
    first, in a statement of their own, because no estimate PostgreSQL can make of a word it has
    no statistics of (one ticket's number, a word in no message) stops it from walking a million
    tickets' messages (22-50 s at 1,000,000 tickets) (:mod:`hub.tickets.word_stats`). Asked as one
    ``IN`` over a ``UNION`` of every matching id (as before), a word in every subject made
    PostgreSQL collect and de-duplicate a million ids on disk first (5.5-6 s). The other terms are
    checked on the rows the branches reach."""
    driver = min(terms, key=lambda t: (t.share_in_tickets + t.share_in_messages, -len(t.tsquery)))
    for other in terms:
        if other is not driver:
            query = query.where(_anywhere(other.tsquery))
    in_ticket = (
        query.where(search.matches_tsquery(Ticket.search, driver.tsquery)),
        driver.share_in_tickets >= COMMON_IN_TICKETS,
    )
    in_messages = (query.where(_in_messages(driver.tsquery)), True)
    if driver.share_in_messages < COMMON_IN_MESSAGES:
        found = await _collected(session, driver.tsquery)
        if found is not None:
            ids = sa.cast(found, pg.ARRAY(pg.UUID(as_uuid=True)))
            in_messages = (query.where(Ticket.id == sa.any_(ids)), False)
    union = sa.union(
        *(
            part
            for branch, walk in (in_ticket, in_messages)
            for part in _window(branch, sort, window, walk=walk, clocked=clocked)
        )
    )
    return query.where(Ticket.id.in_(sa.select(union.subquery().c.id)))


def _window(
    query: sa.Select[*Row], sort: str, window: int, *, walk: bool, clocked: bool
) -> list[sa.Select[Any]]:
    """The ids of the first ``window`` rows of ``query`` in the ``sort`` order, as one statement or
    (the SLA order, which no single index provides) one per segment of :mod:`.due_order`."""
    if sort in due_order.SORTS:
        return due_order.windows(query, sort, window, walk=walk, clocked=clocked)
    return [_ordered(query, sort, walk=walk).with_only_columns(Ticket.id).limit(window)]


@dataclass(frozen=True)
class TicketPage:
    items: list[tuple[Ticket, Contact]]
    next_cursor: str | None


async def list_tickets(
    session: AsyncSession,
    actor: Actor,
    f: TicketFilter,
    *,
    cursor: str | None,
    limit: int,
    sort: str = NEWEST_FIRST,
) -> TicketPage:
    """Newest first by ticket number, which never changes, so pages neither skip nor repeat; any
    other order pages by position. Merged tickets are left out: their messages are on the ticket
    they went into.

    Every statement is planned for its own values (``plan_cache_mode``): a driver's prepared
    statement otherwise gets a generic plan after five runs, one that cannot know a search word
    is rare or an agent has no tickets, and walks the whole list (a rare word: 20 ms, then 224 ms
    on some pooled connections)."""
    if sort not in SORTS:
        raise InvalidInput(detail=f"sort must be one of {', '.join(sorted(SORTS))}")
    limit = max(1, min(limit, MAX_PAGE))
    query = sa.select(Ticket, Contact).join(Contact, Contact.id == Ticket.contact_id)
    query = _filtered(scope.restrict(query, actor, Ticket), actor, f)
    query = query.where(Ticket.merged_into_id.is_(None))
    q = f.q.strip() if f.q else ""
    if sort in due_order.SORTS and not (q or (cursor and _decode_any(cursor) == "o")):
        return await _due_page(session, query, f, sort, cursor, limit)
    offset = 0
    if cursor:
        kind, value = _decode(cursor)
        if (kind == "n") != (sort == NEWEST_FIRST):
            raise BadCursor()
        if kind == "n":
            query = query.where(Ticket.number < value)
        else:
            offset = value
    if q and not search.query_terms(q):  # only punctuation: nothing can match
        return TicketPage(items=[], next_cursor=None)
    await session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    walk = True
    if q:
        terms = await _terms(session, q)
        query = await _searched(session, query, terms, sort, offset + limit + 1, clocked=_clocked(f))
        walk = False  # at most two windows of rows found: sorted, never walked
    elif f.tag:
        walk = await _tag_walks(session, f)
    rows = (await session.execute(_ordered(query, sort, walk=walk).offset(offset).limit(limit + 1))).all()
    items = [(ticket, contact) for ticket, contact in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        more = offset + limit
        next_cursor = encode_cursor(items[-1][0].number) if sort == NEWEST_FIRST else encode_cursor(more, "o")
        if sort != NEWEST_FIRST and more > MAX_OFFSET:
            next_cursor = None
    return TicketPage(items=items, next_cursor=next_cursor)


def _clocked(f: TicketFilter) -> bool:
    """Whether the list may hold tickets with an SLA target running or a client waiting: not when
    it holds only resolved and closed tickets (:func:`hub.tickets.due_order.page`)."""
    return not f.status or any(status in ACTIVE_STATUSES for status in f.status)


async def _tag_walks(session: AsyncSession, f: TicketFilter) -> bool:
    """Whether the list's order is walked on its index: not for a rare tag, whose few tickets are
    collected and sorted."""
    if not f.tag:
        return True
    stats = await word_stats.shares(session)
    return word_stats.share(stats, ("tickets", "tags"), f.tag.strip().lower()) >= COMMON_IN_TICKETS


def _decode_any(cursor: str) -> str | None:
    """The kind of a cursor of :func:`encode_cursor` (``n`` or ``o``), or None."""
    try:
        return _decode(cursor)[0]
    except BadCursor:
        return None


#: ``SET LOCAL`` of both settings, in one statement.
_NO_GENERIC_NOR_PARALLEL_PLAN = sa.text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)


async def _due_page(
    session: AsyncSession, query: sa.Select[*Row], f: TicketFilter, sort: str, cursor: str | None, limit: int
) -> TicketPage:
    """The SLA order without a search, by keyset (:mod:`hub.tickets.due_order`). A page of the same
    list sorted by due before the keyset cursor (an ``o:`` offset) is still read by offset."""
    after = None
    if cursor:
        after = due_order.decode(cursor)
        if after is None:
            raise BadCursor()
    # Planned for its own values (see list_tickets), and never as a parallel append (due_order.page).
    await session.execute(_NO_GENERIC_NOR_PARALLEL_PLAN)
    clocked = _clocked(f)
    # One person's or one organisation's tickets are few beside everyone's: collected by their
    # own index and sorted. Walked in due order instead, an agent whose tickets are all closed
    # had every open ticket's clock read (1.4 s at 1,000,000 tickets, 300,000 open).
    few = f.contact_id or f.organization_id or (f.assignee and f.assignee != "none")
    walk = not few and await _tag_walks(session, f)
    found = await due_order.page(session, query, sort, after, limit, walk=walk, clocked=clocked)
    next_cursor = due_order.encode(found.next_place) if found.next_place is not None else None
    return TicketPage(items=found.items, next_cursor=next_cursor)


#: Counts stop here ("999+"): a view's badge says "a lot", and counting stops early.
COUNT_CAP = 1000


async def count_tickets(session: AsyncSession, actor: Actor, f: TicketFilter) -> int | None:
    """How many tickets the list holds, up to ``COUNT_CAP``; None for a list with a search (the
    badge of a saved search is left out rather than costing a search per page)."""
    return (await count_lists(session, actor, [f]))[0]


async def count_lists(session: AsyncSession, actor: Actor, filters: list[TicketFilter]) -> list[int | None]:
    """:func:`count_tickets` of each list, counted together in one statement (the inbox's badges:
    a dozen lists, which were two round trips each)."""
    counts: list[sa.ScalarSelect[int] | None] = []
    for f in filters:
        if f.q and f.q.strip():
            counts.append(None)
            continue
        query = _filtered(scope.restrict(sa.select(Ticket.id), actor, Ticket), actor, f)
        query = query.where(Ticket.merged_into_id.is_(None)).limit(COUNT_CAP)
        counts.append(sa.select(sa.func.count()).select_from(query.subquery()).scalar_subquery())
    asked = [count for count in counts if count is not None]
    if not asked:
        return [None] * len(filters)
    await session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    found = iter((await session.execute(sa.select(*asked))).one())
    return [None if count is None else int(next(found) or 0) for count in counts]


@dataclass(frozen=True)
class TicketThread:
    ticket: Ticket
    contact: Contact
    messages: list[Message]
    attachments: dict[uuid.UUID, list[Attachment]]
    #: The ticket this one follows, if the viewer may see it: a partner's ticket can follow another
    #: organization's (its contact quoted that ticket's number), whose id is not the partner's to know.
    linked_ticket_id: uuid.UUID | None = None


async def ticket_with_contact(
    session: AsyncSession, actor: Actor, ticket_id: uuid.UUID
) -> tuple[Ticket, Contact]:
    ticket = await load_for(session, actor, ticket_id)
    contact = await session.get(Contact, ticket.contact_id)
    assert contact is not None
    return ticket, contact


async def ticket_thread(session: AsyncSession, actor: Actor, ticket_id: uuid.UUID) -> TicketThread:
    ticket, contact = await ticket_with_contact(session, actor, ticket_id)
    query = scope.select(actor, Message).where(Message.ticket_id == ticket.id)  # partners: no notes
    messages = list(await session.scalars(query.order_by(Message.created_at, Message.id)))
    attachments: dict[uuid.UUID, list[Attachment]] = {}
    if messages:
        rows = await session.scalars(
            scope.select(actor, Attachment)
            .where(Attachment.message_id.in_([m.id for m in messages]))
            .order_by(Attachment.created_at)
        )
        for row in rows:
            attachments.setdefault(row.message_id, []).append(row)
    linked = None
    if ticket.linked_ticket_id is not None:
        linked = await session.scalar(
            scope.restrict(sa.select(Ticket.id).where(Ticket.id == ticket.linked_ticket_id), actor, Ticket)
        )
    return TicketThread(
        ticket=ticket, contact=contact, messages=messages, attachments=attachments, linked_ticket_id=linked
    )


async def reply_window(session: AsyncSession, ticket: Ticket, *, now: datetime) -> WindowState | None:
    """The reply window of the ticket's channel for its contact (None: the channel has none), with
    what is still possible when it is closed."""
    channel = await session.get(Channel, ticket.channel_id)
    if channel is None:
        return None
    state = await windows.state(session, channel, ticket.contact_id, now=now)
    if state is None or state.is_open:
        return state
    return dataclasses.replace(
        state, alternatives=await windows.alternatives(session, channel, ticket.contact_id)
    )


async def reply_alternatives(session: AsyncSession, ticket: Ticket) -> dict[str, object]:
    """The template and the other channels a reply to this ticket could go out on."""
    channel = await session.get(Channel, ticket.channel_id)
    if channel is None:
        return {"template": False, "channels": []}
    return await windows.alternatives(session, channel, ticket.contact_id)


async def ticket_events(session: AsyncSession, actor: Actor, ticket_id: uuid.UUID) -> list[TicketEvent]:
    ticket = await load_for(session, actor, ticket_id)
    rows = await session.scalars(
        scope.select(actor, TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return list(rows)
