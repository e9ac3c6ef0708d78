"""A ticket an agent starts: the first word is ours (an e-mail, a WeChat template message).

It goes in where every message goes in, the funnel (:func:`hub.intake.ingest.ingest`), as the
agent's ``outbound`` message to the person named: the funnel finds or makes the contact, opens the
ticket, routes and clocks it and announces it, exactly as for a client's first message, and the
message counts as the team's response. Unlike a call the agent already had, this message is still
to be sent: it is stored queued (``deliver``) and put in the outbox as a reply is, so delivery,
retries, failures and the failed-reply rule of the SLA are the replies' own.

Idempotent: the caller's key is the funnel's idempotency key (``external_id``), scoped to the
agent, so a retried request answers with the ticket the first one opened, and a request whose
outbox row was never written (a crash between the two steps) gets it on the retry.
A call log opens a ticket the same way from the phone channel (:mod:`channels.phone.manual`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.domain import ChannelKind, DeliveryStatus
from hub.errors import InvalidInput, NotFound
from hub.events import TicketRef
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import Channel, Message, Outbox, Ticket
from hub.tickets import events
from hub.tickets.tickets import DELIVER_JOB

#: The kinds a ticket can start on with a written message of ours (the phone logs a call instead).
WRITTEN = (ChannelKind.EMAIL, ChannelKind.WECHAT)


@dataclass(frozen=True)
class NewTicket:
    channel_id: uuid.UUID
    #: The person's address on the channel: an e-mail address, a WeChat openid.
    to: str
    text: str
    #: The caller's idempotency key: the same key opens the ticket once.
    key: str
    subject: str | None = None
    name: str | None = None


def external_id(actor: Actor, key: str) -> str:
    """The funnel's idempotency key for an agent's new ticket (scoped to the agent)."""
    return f"hub:new:{actor.user_id}:{key}"


async def start(hub: Hub, actor: Actor, new: NewTicket) -> IngestResult:
    """Open the ticket with the agent's message, queued for delivery on ``new.channel_id``."""
    permissions.require_staff(actor)
    if actor.user_id is None:
        raise InvalidInput(detail="a new ticket needs an agent as its author")
    if not new.text.strip():
        raise InvalidInput(detail="the message is empty")
    async with hub.uow() as uow:
        channel = await uow.session.get(Channel, new.channel_id)
    if channel is None:
        raise NotFound(what="channel")
    if channel.kind not in WRITTEN:
        raise InvalidInput("new_ticket_channel_kind", kind=channel.kind.value)
    if not channel.is_active:
        raise InvalidInput(detail=f"channel {channel.name} is disabled")
    template = channel.kind is ChannelKind.WECHAT
    if template and not channel.config.get("template_id"):
        raise InvalidInput("new_ticket_no_template", name=channel.name)
    to = new.to.strip()
    prefix = str(channel.config.get("identity_prefix") or "")
    if prefix and not to.startswith(prefix):
        to = prefix + to
    result = await ingest.ingest(
        hub,
        InboundMessage(
            channel_id=channel.id,
            external_id=external_id(actor, new.key),
            sender=Sender(identity=to, name=(new.name or "").strip() or None),
            subject=(new.subject or "").strip() or None,
            text=new.text,
            direction="outbound",
            author_user_id=actor.user_id,
            deliver=True,
            thread_ref=external_id(actor, new.key),
            thread_by_recency=False,
            meta={"via": "template"} if template else {},
        ),
    )
    await _queue(hub, result)
    return result


async def _queue(hub: Hub, result: IngestResult) -> None:
    """The outbox row of the new ticket's message, once (a retried request finds it there)."""
    if result.message_id is None or result.ticket_id is None:
        return
    async with hub.uow() as uow:
        message = await uow.session.get(Message, result.message_id, with_for_update=True)
        assert message is not None and message.channel_id is not None
        queued = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == message.id))
        if queued is not None or message.delivery_status is not DeliveryStatus.QUEUED:
            return
        ticket = await uow.session.get(Ticket, result.ticket_id)
        assert ticket is not None
        now = hub.clock.now()
        outbox = Outbox(
            id=uuid.uuid4(), message_id=message.id, channel_id=message.channel_id, next_attempt_at=now
        )
        uow.session.add(outbox)
        uow.enqueue(DELIVER_JOB, str(outbox.id), job_id=f"deliver:{outbox.id}:0")
        uow.emit(events.ReplyQueued(at=now, ticket=TicketRef.of(ticket), message_id=message.id))
        await uow.commit()


async def channels_to_start_on(session: AsyncSession) -> list[Channel]:
    """The active channels a ticket can be started on: mailboxes, WeChat accounts with a template
    message configured, and phone lines (a call log)."""
    rows = await session.scalars(
        sa.select(Channel)
        .where(Channel.is_active, Channel.kind.in_([*WRITTEN, ChannelKind.PHONE]))
        .order_by(Channel.kind, Channel.name)
    )
    return [c for c in rows if c.kind is not ChannelKind.WECHAT or c.config.get("template_id")]
