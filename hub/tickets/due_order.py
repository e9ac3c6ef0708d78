"""The inbox's default order, the earliest running SLA target first, read one page at a time.

The order (``due``): the due time ascending (none last), then the longest wait (``waiting_since``
ascending, none last), then the newest ticket; ``-due`` takes the due times latest first. Written
as one ``LEFT JOIN ticket_sla ... ORDER BY``, PostgreSQL cannot walk the due index (it sits on the
outer join's nullable side): it joins and sorts every ticket of the list before the first row
(2.8 s p50 at 1,000,000 tickets). The same order is three segments, each one an index can hand
out in order, read in turn until the page is full:

1. tickets with a due time: ``ix_ticket_sla_due`` (an inner join, walked by due time);
2. no due time but a client waiting: ``ix_ticket_sla_waiting_undue``, a small partial index;
3. neither (or no clocks at all): the ticket number, newest first.

A page's cursor is its last row's place (segment, due time, waiting since, number), so the next
page starts right after it (keyset) instead of skipping and counting the rows before it.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.models import Contact, Ticket, TicketSla
from hub.scope import Row

SORTS = frozenset({"due", "-due"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: ``d:<segment>:<due>:<waiting since>:<number>``, instants in microseconds since 1970 (empty: none).
_CURSOR = re.compile(r"d:([123]):(-?[0-9]{1,16})?:(-?[0-9]{1,16})?:([1-9][0-9]{0,18})")
_LARGEST_NUMBER = 2**63 - 1


@dataclass(frozen=True)
class Place:
    """Where a row stands in the order: its segment and the values the order compares."""

    segment: int
    due: datetime | None
    waiting: datetime | None
    number: int


def _micros(at: datetime | None) -> str:
    return "" if at is None else str((at - _EPOCH) // _MICROSECOND)


def _instant(raw: str | None) -> datetime | None:
    return None if raw is None else _EPOCH + int(raw) * _MICROSECOND


def encode(place: Place) -> str:
    raw = f"d:{place.segment}:{_micros(place.due)}:{_micros(place.waiting)}:{place.number}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> Place | None:
    """The place a cursor of :func:`encode` names; None for anything else (the caller's error)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    match = _CURSOR.fullmatch(raw)
    if match is None or int(match[4]) > _LARGEST_NUMBER:
        return None
    segment = int(match[1])
    try:
        place = Place(segment, _instant(match[2]), _instant(match[3]), int(match[4]))
    except OverflowError:
        return None
    # Only what a page of that segment can have written.
    if (segment == 1) != (place.due is not None) or (segment == 2 and place.waiting is None):
        return None
    if segment == 3 and place.waiting is not None:
        return None
    return place


def _after_wait(waiting: datetime | None, number: int) -> sa.ColumnElement[bool]:
    """Rows after (``waiting``, ``number``) in the order ``waiting_since`` (none last), newest first."""
    later = Ticket.number < number
    if waiting is None:
        return sa.and_(TicketSla.waiting_since.is_(None), later)
    return sa.or_(
        TicketSla.waiting_since > waiting,
        TicketSla.waiting_since.is_(None),
        sa.and_(TicketSla.waiting_since == waiting, later),
    )


def _segment(
    query: sa.Select[*Row], segment: int, descending: bool, after: Place | None, walk: bool, clocked: bool
) -> sa.Select[Any]:
    """One segment's rows after ``after`` (None: from its start), in the order, with their place.

    ``walk=False`` (a list of few rows): the same order written so that no index provides it, so
    PostgreSQL collects the rows and sorts them instead of walking an index for matches."""
    due = TicketSla.due_at()
    waiting = TicketSla.waiting_since
    number: sa.ColumnElement[int] = Ticket.number.expression if walk else Ticket.number + 0
    newest = number.desc()
    columns: tuple[sa.ColumnElement[Any], ...] = (due.label("due"), waiting.label("waiting"))
    order: list[sa.ColumnElement[Any]]
    from_here = after is not None and after.segment == segment
    if segment == 1:
        found = query.join(TicketSla, TicketSla.ticket_id == Ticket.id).where(due.is_not(None))
        if from_here:
            assert after is not None and after.due is not None
            beyond = due < after.due if descending else due > after.due
            at_or_beyond = due <= after.due if descending else due >= after.due
            found = found.where(
                at_or_beyond,
                sa.or_(beyond, sa.and_(due == after.due, _after_wait(after.waiting, after.number))),
            )
        key = due if walk else sa.func.coalesce(due)
        order = [key.desc() if descending else key.asc(), waiting.asc().nulls_last(), newest]
    elif segment == 2:
        found = query.join(TicketSla, TicketSla.ticket_id == Ticket.id).where(
            due.is_(None), waiting.is_not(None)
        )
        if from_here:
            assert after is not None and after.waiting is not None
            found = found.where(
                waiting >= after.waiting,
                sa.or_(waiting > after.waiting, Ticket.number < after.number),
            )
        order = [waiting.asc(), newest]
    elif not clocked:  # every ticket of the list: none should have clocks running (see page)
        found = query
        if from_here:
            assert after is not None
            found = found.where(Ticket.number < after.number)
        order = [newest]
        columns = (sa.null().label("due"), sa.null().label("waiting"))
    else:
        # An anti-join, not a left join filtered on its NULLs: PostgreSQL estimates that filter
        # at one row and plans for one (a nested loop over every contact: minutes).
        running = sa.select(TicketSla.ticket_id).where(
            TicketSla.ticket_id == Ticket.id, sa.or_(due.is_not(None), waiting.is_not(None))
        )
        found = query.where(~running.exists())
        if from_here:
            assert after is not None
            found = found.where(Ticket.number < after.number)
        order = [newest]
        columns = (sa.null().label("due"), sa.null().label("waiting"))
    return found.add_columns(*columns).order_by(*order)


def windows(
    query: sa.Select[*Row], sort: str, window: int, *, walk: bool = True, clocked: bool = True
) -> list[sa.Select[Any]]:
    """The ids of each segment's first ``window`` rows: together they hold the list's first
    ``window`` rows in the order (a search gathers its matches this way, then sorts only those)."""
    descending = sort.startswith("-")
    return [
        _segment(query, segment, descending, None, walk, clocked).with_only_columns(Ticket.id).limit(window)
        for segment in range(1 if clocked else 3, 4)
    ]


@dataclass(frozen=True)
class DuePage:
    items: list[tuple[Ticket, Contact]]
    #: The last item's place, when more rows follow it.
    next_place: Place | None


async def page(
    session: Any,
    query: sa.Select[*Row],
    sort: str,
    after: Place | None,
    limit: int,
    *,
    walk: bool = True,
    clocked: bool = True,
) -> DuePage:
    """``limit`` rows of ``query`` (tickets with their contacts) after ``after`` in the ``sort``
    order.

    A list walked in order (``walk``: everyone's open tickets) reads a segment at a time: the
    first one nearly always fills the page, and planning the others with it cost more than it
    saved. A list of few rows (one agent's, one organisation's) often has a short first segment
    and an empty second one, so its segments are one statement: their ``UNION ALL`` under the
    page's ``LIMIT``, which PostgreSQL appends in turn, stopping once the page is full (one round
    trip instead of three). The caller turns parallel plans off
    (:func:`hub.tickets.views._due_page`): a parallel append could hand out a later segment's
    rows first.

    ``clocked=False``: the list holds only resolved and closed tickets, whose cycle has ended, so
    no target runs and nobody waits (:mod:`hub.sla.clock`; the clock row changes in the status
    change's transaction): the list is read newest first, as the third segment, without looking
    for clocks. Walking the due index for matches that cannot be there took 5 s at 1,000,000
    tickets; a row that broke the rule would be listed by its number, never left out."""
    descending = sort.startswith("-")
    first = after.segment if after is not None else 1
    segments = list(range(first if clocked else 3, 4))
    rows: list[tuple[Ticket, Contact, Place]] = []
    for group in [[segment] for segment in segments] if walk else [segments]:
        wanted = limit + 1 - len(rows)
        if wanted <= 0:
            break
        parts = [
            _segment(query, segment, descending, after, walk, clocked)
            .add_columns(sa.literal(segment).label("segment"))
            .limit(wanted)
            for segment in group
        ]
        if len(parts) == 1:
            found = await session.execute(parts[0])
        else:
            entities: sa.Select[Ticket, Contact, Any, Any, Any] = sa.select(
                Ticket, Contact, sa.column("due"), sa.column("waiting"), sa.column("segment")
            )
            found = await session.execute(entities.from_statement(sa.union_all(*parts).limit(wanted)))
        # Stable: the rows of each segment stay in its order.
        for t, c, due, waiting, segment in sorted(found, key=lambda row: int(row[4])):
            rows.append((t, c, Place(int(segment), due, waiting, t.number)))
    items = [(ticket, contact) for ticket, contact, _ in rows[:limit]]
    more = len(rows) > limit
    return DuePage(items=items, next_place=rows[limit - 1][2] if more else None)
