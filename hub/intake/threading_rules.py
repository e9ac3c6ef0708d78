"""Which ticket an inbound message belongs to, in the order channels rely on:

0. a survey answer names its ticket (``survey_ticket_id``) and joins it, whatever its state;
1. our reply token (``reply_token``), then the channel's own conversation key (``thread_ref``);
2. the external ids it answers (``references``: e-mail In-Reply-To/References);
3. the ticket number the sender quoted (``ticket_number_hint``), only when the sender takes part
   in that ticket (its contact, or the author of one of its messages); a stranger quoting a
   number gets a new ticket linked to it, so nobody can write into someone else's case;
4. unless the channel named a conversation we do not know yet, or said it names every
   continuation (``thread_by_recency=False``), the same contact's open ticket on the same
   channel, if it moved recently;
5. none: a new ticket.

A match on a closed ticket older than the reopen window is not reused: the caller opens a new
ticket linked to it, so an old case is not silently resurrected by a reply months later. Later
replies in that old thread join the linked ticket (unless it too was closed too long ago).

The rules are pure: they read a :class:`ThreadIndex` the ingest engine filled from the database
(everything a batch's messages could match) and keeps up to date as the batch creates tickets,
messages and conversation keys, so a batch of one and a batch of thousands decide alike.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.domain import ACTIVE_STATUSES, TicketStatus
from hub.intake.inbound import InboundMessage

_ACTIVE = frozenset(ACTIVE_STATUSES)


@dataclass(slots=True)
class TicketRecord:
    """What threading, waking and routing read of a ticket, and what a batch changes of it."""

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
    created_at: datetime
    new: bool = False
    #: Columns changed by the batch, written back by the engine.
    dirty: set[str] = field(default_factory=set)


@dataclass(slots=True)
class ThreadIndex:
    """Every key a message can thread by, over the tickets the engine knows."""

    tickets: dict[uuid.UUID, TicketRecord] = field(default_factory=dict)
    by_token: dict[str, uuid.UUID] = field(default_factory=dict)
    by_thread_ref: dict[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)
    by_number: dict[int, uuid.UUID] = field(default_factory=dict)
    #: external id -> (created_at, order, ticket id) of every stored or batch message carrying it;
    #: ``order`` breaks ties between messages of one instant (-1 for stored ones).
    refs: dict[str, list[tuple[datetime, int, uuid.UUID]]] = field(default_factory=lambda: defaultdict(list))
    #: (ticket, contact) pairs where the contact wrote one of the ticket's messages.
    authors: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    #: closed ticket -> the newest ticket a late reply to it opened.
    successors: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    #: (contact, channel) -> that contact's tickets on that channel the engine knows.
    conversations: dict[tuple[uuid.UUID, uuid.UUID], list[TicketRecord]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def remember(self, ticket: TicketRecord) -> TicketRecord:
        """Add a ticket (the one already known wins: it may carry the batch's changes)."""
        known = self.tickets.get(ticket.id)
        if known is not None:
            return known
        self.tickets[ticket.id] = ticket
        self.by_number[ticket.number] = ticket.id
        self.conversations[(ticket.contact_id, ticket.channel_id)].append(ticket)
        return ticket

    def latest(self, contact_id: uuid.UUID, channel_id: uuid.UUID) -> TicketRecord | None:
        """The contact's ticket on the channel that moved last, whatever its state (for notices)."""
        return max(
            self.conversations.get((contact_id, channel_id), ()),
            key=lambda t: (t.last_message_at is not None, t.last_message_at or t.created_at, t.number),
            default=None,
        )


@dataclass(frozen=True, slots=True)
class ThreadMatch:
    ticket: TicketRecord | None
    rule: str
    #: Set when no ticket matched but the message is tied to one (closed too long ago, or quoted by
    #: someone outside it): open a new ticket linked to it.
    linked: TicketRecord | None = None


def find_ticket(
    index: ThreadIndex,
    message: InboundMessage,
    contact_id: uuid.UUID,
    channel_id: uuid.UUID,
    *,
    now: datetime,
    thread_window: timedelta,
    reopen_window: timedelta,
) -> ThreadMatch:
    if message.survey_ticket_id is not None:
        return ThreadMatch(index.tickets.get(message.survey_ticket_id), "survey_answer")
    found, rule = _explicit(index, message, contact_id, channel_id, now=now, thread_window=thread_window)
    if found is None and rule == "ticket_number_not_participant":
        assert message.ticket_number_hint is not None
        return ThreadMatch(None, rule, linked=index.tickets[index.by_number[message.ticket_number_hint]])
    if found is None:
        return ThreadMatch(None, "new")
    if closed_too_long(found, now, reopen_window):
        successor_id = index.successors.get(found.id)
        successor = index.tickets.get(successor_id) if successor_id else None
        if successor is not None and not closed_too_long(successor, now, reopen_window):
            return ThreadMatch(successor, rule + "_via_linked")
        return ThreadMatch(None, "closed_past_reopen_window", linked=found)
    return ThreadMatch(found, rule)


def closed_too_long(ticket: TicketRecord, now: datetime, reopen_window: timedelta) -> bool:
    return ticket.status is TicketStatus.CLOSED and (ticket.closed_at or now) < now - reopen_window


def valid_number(number: int | None) -> bool:
    return number is not None and 0 < number < 2**63


def _explicit(
    index: ThreadIndex,
    message: InboundMessage,
    contact_id: uuid.UUID,
    channel_id: uuid.UUID,
    *,
    now: datetime,
    thread_window: timedelta,
) -> tuple[TicketRecord | None, str]:
    if message.reply_token and message.reply_token in index.by_token:
        return index.tickets[index.by_token[message.reply_token]], "reply_token"
    if message.thread_ref and (channel_id, message.thread_ref) in index.by_thread_ref:
        return index.tickets[index.by_thread_ref[(channel_id, message.thread_ref)]], "thread_ref"
    best = max(
        (entry for r in message.references for entry in index.refs.get(r, ())),
        default=None,
        key=lambda e: (e[0], e[1]),
    )
    if best is not None:
        return index.tickets[best[2]], "references"
    hint = message.ticket_number_hint
    if valid_number(hint) and hint in index.by_number:
        ticket = index.tickets[index.by_number[hint]]
        if ticket.contact_id == contact_id or (ticket.id, contact_id) in index.authors:
            return ticket, "ticket_number"
        return None, "ticket_number_not_participant"
    if message.thread_ref or not message.thread_by_recency:
        return None, "new"
    since = now - thread_window
    recent = max(
        (
            t
            for t in index.conversations.get((contact_id, channel_id), ())
            if t.status in _ACTIVE and t.last_message_at is not None and t.last_message_at >= since
        ),
        key=lambda t: (t.last_message_at, t.number),
        default=None,
    )
    if recent is not None:
        return recent, "recent_conversation"
    return None, "new"
