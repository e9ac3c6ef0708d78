"""Which ticket an inbound message belongs to, in the order channels rely on:

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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.domain import ACTIVE_STATUSES, TicketStatus
from hub.inbound import InboundMessage
from hub.models import Channel, Message, ThreadRef, Ticket


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket | None
    rule: str
    #: Set when the matched ticket was closed too long ago: open a new one linked to it.
    too_old: Ticket | None = None
    #: Set when the sender quoted a ticket they take no part in: open a new one linked to it.
    quoted: Ticket | None = None


async def find_ticket(
    session: AsyncSession,
    channel: Channel,
    contact_id: object,
    message: InboundMessage,
    *,
    now: datetime,
    thread_window: timedelta,
    reopen_window: timedelta,
) -> ThreadMatch:
    found, rule = await _explicit(session, channel, contact_id, message, now=now, thread_window=thread_window)
    if found is None and rule == "ticket_number_not_participant":
        return ThreadMatch(None, rule, quoted=await _by_number(session, message.ticket_number_hint))
    if found is None:
        return ThreadMatch(None, "new")
    if _closed_too_long(found, now, reopen_window):
        successor = await _successor(session, found)
        if successor is not None and not _closed_too_long(successor, now, reopen_window):
            return ThreadMatch(successor, rule + "_via_linked")
        return ThreadMatch(None, "closed_past_reopen_window", too_old=found)
    return ThreadMatch(found, rule)


def _closed_too_long(ticket: Ticket, now: datetime, reopen_window: timedelta) -> bool:
    return ticket.status is TicketStatus.CLOSED and (ticket.closed_at or now) < now - reopen_window


async def _successor(session: AsyncSession, old: Ticket) -> Ticket | None:
    """The newest ticket a late reply to ``old`` opened.

    The old thread's keys (reply token, references) still point at the closed ticket, so without
    this every further late reply in that thread would open yet another ticket.
    """
    return await session.scalar(
        sa.select(Ticket)
        .where(Ticket.linked_ticket_id == old.id)
        .order_by(Ticket.created_at.desc(), Ticket.number.desc())
        .limit(1)
    )


async def _explicit(
    session: AsyncSession,
    channel: Channel,
    contact_id: object,
    message: InboundMessage,
    *,
    now: datetime,
    thread_window: timedelta,
) -> tuple[Ticket | None, str]:
    if message.reply_token:
        ticket = await session.scalar(sa.select(Ticket).where(Ticket.reply_token == message.reply_token))
        if ticket is not None:
            return ticket, "reply_token"
    if message.thread_ref:
        ticket = await session.scalar(
            sa.select(Ticket)
            .join(ThreadRef, ThreadRef.ticket_id == Ticket.id)
            .where(ThreadRef.channel_id == channel.id, ThreadRef.ref == message.thread_ref)
        )
        if ticket is not None:
            return ticket, "thread_ref"
    if message.references:
        ticket = await session.scalar(
            sa.select(Ticket)
            .join(Message, Message.ticket_id == Ticket.id)
            .where(Message.external_id.in_(message.references))
            .order_by(Message.created_at.desc())
            .limit(1)
        )
        if ticket is not None:
            return ticket, "references"
    if message.ticket_number_hint is not None:
        ticket = await _by_number(session, message.ticket_number_hint)
        if ticket is not None:
            if await _takes_part(session, ticket, contact_id):
                return ticket, "ticket_number"
            return None, "ticket_number_not_participant"
    if message.thread_ref or not message.thread_by_recency:
        return None, "new"
    ticket = await session.scalar(
        sa.select(Ticket)
        .where(
            Ticket.contact_id == contact_id,
            Ticket.channel_id == channel.id,
            Ticket.status.in_([s.value for s in ACTIVE_STATUSES]),
            Ticket.last_message_at >= now - thread_window,
        )
        .order_by(Ticket.last_message_at.desc())
        .limit(1)
    )
    if ticket is not None:
        return ticket, "recent_conversation"
    return None, "new"


async def _by_number(session: AsyncSession, number: int | None) -> Ticket | None:
    if number is None or not 0 < number < 2**63:
        return None
    return await session.scalar(sa.select(Ticket).where(Ticket.number == number))


async def _takes_part(session: AsyncSession, ticket: Ticket, contact_id: object) -> bool:
    """The ticket's contact, or a contact who wrote one of its messages (a colleague in Cc)."""
    if ticket.contact_id == contact_id:
        return True
    wrote = await session.scalar(
        sa.select(Message.id)
        .where(Message.ticket_id == ticket.id, Message.author_contact_id == contact_id)
        .limit(1)
    )
    return wrote is not None
