"""Which way a survey reaches the client, per the ticket's channel.

* web chat, e-mail and API: the ticket's own channel (the widget shows faces; a mail and an
  integration get the five links);
* WeChat: a customer-service message while the 48-hour window is open, spending one of its five
  replies; else the channel's template message when one is configured; else not sent
  (``window_closed``);
* phone: the contact's WeChat when a window is open there, else their e-mail; else not sent
  (``no_route``).

A route that spends a WeChat window's turn does so here, in the transaction that queues the
survey, as a reply does; a delivery the channel refuses gives the turn back (:mod:`hub.delivery`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.domain import ChannelKind, Direction
from hub.models import Channel, ContactIdentity, Message, Ticket
from hub.tickets import windows


@dataclass(frozen=True)
class Route:
    channel: Channel
    #: The WeChat window turn the survey spent (given back if the channel refuses it).
    spent: dict[str, str] | None = None
    template: bool = False


@dataclass(frozen=True)
class NoRoute:
    reason: str


async def pick(session: AsyncSession, ticket: Ticket, *, now: datetime) -> Route | NoRoute:
    channel = await session.get(Channel, ticket.channel_id)
    kind = ticket.channel_kind
    if kind is ChannelKind.PHONE:
        return await _phone(session, ticket, now=now)
    if channel is None or not channel.is_active:
        return NoRoute("channel_inactive")
    if kind is ChannelKind.WECHAT:
        return await _wechat(session, channel, ticket.contact_id, now=now, template_fallback=True)
    if kind is ChannelKind.EMAIL and not await _reachable(session, channel, ticket.contact_id):
        return NoRoute("no_address")
    return Route(channel)


async def _reachable(session: AsyncSession, channel: Channel, contact_id: uuid.UUID) -> bool:
    found = await session.scalar(
        sa.select(sa.func.count())
        .select_from(ContactIdentity)
        .where(
            ContactIdentity.contact_id == contact_id,
            ContactIdentity.left_at.is_(None),
            windows.identity_filter(channel),
        )
    )
    return bool(found)


async def _wechat(
    session: AsyncSession, channel: Channel, contact_id: uuid.UUID, *, now: datetime, template_fallback: bool
) -> Route | NoRoute:
    state = await windows.state(session, channel, contact_id, now=now)
    if state is None or state.is_open:
        return Route(channel, spent=await windows.spend(session, channel, contact_id, now=now))
    if (
        template_fallback
        and channel.config.get("template_id")
        and await _reachable(session, channel, contact_id)
    ):
        return Route(channel, template=True)
    return NoRoute("window_closed")


async def _phone(session: AsyncSession, ticket: Ticket, *, now: datetime) -> Route | NoRoute:
    """A call has no channel to answer on: the contact's WeChat (open window only: a template
    message is for the account's own notices), else the mailbox they last wrote to, else the team's."""
    wechats = await session.scalars(
        sa.select(Channel)
        .where(Channel.kind == ChannelKind.WECHAT, Channel.is_active)
        .order_by(Channel.created_at)
    )
    for channel in wechats:
        if not await _reachable(session, channel, ticket.contact_id):
            continue
        state = await windows.state(session, channel, ticket.contact_id, now=now)
        if state is not None and state.is_open:
            return Route(channel, spent=await windows.spend(session, channel, ticket.contact_id, now=now))
    mailboxes = list(
        await session.scalars(
            sa.select(Channel)
            .where(Channel.kind == ChannelKind.EMAIL, Channel.is_active)
            .order_by(Channel.created_at)
        )
    )
    if not mailboxes:
        return NoRoute("no_route")
    last_used = await session.scalar(
        sa.select(Message.channel_id)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(
            Ticket.contact_id == ticket.contact_id,
            Message.direction == Direction.INBOUND,
            Message.channel_id.in_([m.id for m in mailboxes]),
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    ordered = sorted(mailboxes, key=lambda m: (m.id != last_used, m.team_id != ticket.team_id))
    for mailbox in ordered:
        if await _reachable(session, mailbox, ticket.contact_id):
            return Route(mailbox)
    return NoRoute("no_route")
