"""Ticket lists with filters, search and cursor pagination, and one ticket with its thread."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.domain import ChannelKind, Direction, Scenario, TicketStatus
from hub.errors import HubError, InvalidInput
from hub.filters import equal_where_given
from hub.models import Attachment, Channel, Contact, Message, Ticket, TicketEvent, TicketSla
from hub.scope import Row
from hub.sla.targets import ClockStatus, Target
from hub.tickets import search, windows
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
    tag: str | None = None
    q: str | None = None
    #: Only tickets with an SLA target breached, or running past its due time (staff only).
    breached: bool = False
    #: Only phone tickets owing a callback: a client's call nobody picked up and nobody has called
    #: back yet (the client waits on the team; staff only).
    callback: bool = False


def encode_cursor(number: int) -> str:
    return base64.urlsafe_b64encode(f"n:{number}".encode()).decode().rstrip("=")


#: A cursor is a client's word: only digits that fit the ``bigint`` ticket number are read (a
#: larger one overflowed the driver: a 500), not ``int()``'s signs, spaces and underscores.
_CURSOR_NUMBER = re.compile(r"n:([1-9][0-9]{0,18})")
_LARGEST_NUMBER = 2**63 - 1


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor() from None
    match = _CURSOR_NUMBER.fullmatch(raw)
    if match is None or int(match[1]) > _LARGEST_NUMBER:
        raise BadCursor()
    return int(match[1])


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
    if f.q and f.q.strip():
        terms = search.tsquery_terms(f.q)
        if not terms:  # only punctuation: nothing can match
            return query.where(sa.false())
        for term in terms:
            query = query.where(Ticket.id.in_(_ids_matching(term)))
    return query


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


def _ids_matching(term: str) -> sa.CompoundSelect[uuid.UUID]:
    """Tickets whose subject or contact name hold the term, or one of whose messages does (both
    GIN-indexed). Terms are matched one by one, so each may sit in a different place of the ticket.

    Internal notes are never searched: they carry no search document (``hub.tickets.tickets``),
    and the direction filter keeps it so for any note written before that."""
    return sa.union(
        sa.select(Ticket.id).where(search.matches_tsquery(Ticket.search, term)),
        sa.select(Message.ticket_id).where(
            search.matches_tsquery(Message.search, term), Message.direction != Direction.NOTE
        ),
    )


@dataclass(frozen=True)
class TicketPage:
    items: list[tuple[Ticket, Contact]]
    next_cursor: str | None


async def list_tickets(
    session: AsyncSession, actor: Actor, f: TicketFilter, *, cursor: str | None, limit: int
) -> TicketPage:
    """Newest first by ticket number, which never changes, so pages neither skip nor repeat."""
    limit = max(1, min(limit, MAX_PAGE))
    query = sa.select(Ticket, Contact).join(Contact, Contact.id == Ticket.contact_id)
    query = _filtered(scope.restrict(query, actor, Ticket), actor, f)
    if cursor:
        query = query.where(Ticket.number < decode_cursor(cursor))
    rows = (await session.execute(query.order_by(Ticket.number.desc()).limit(limit + 1))).all()
    items = [(ticket, contact) for ticket, contact in rows[:limit]]
    next_cursor = encode_cursor(items[-1][0].number) if len(rows) > limit else None
    return TicketPage(items=items, next_cursor=next_cursor)


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
