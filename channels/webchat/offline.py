"""The conversation continues by e-mail while the visitor is away (see :mod:`.sender`)."""

from __future__ import annotations

import uuid
from datetime import UTC

import msgspec
import sqlalchemy as sa

from channels.webchat import visitors
from hub.core import Hub
from hub.delivery.outbound import DeliveryResult, OutboundMessage
from hub.domain import ChannelKind, Direction
from hub.errors import DeliveryError
from hub.models import Channel, Message, Ticket, User

#: The transcript in the mail: the latest messages, enough to place the reply.
TRANSCRIPT_MESSAGES = 30


async def by_email(hub: Hub, message: OutboundMessage, visitor_id: uuid.UUID | None) -> DeliveryResult:
    """Mail the reply to the visitor's e-mail address, if they left one; else nothing to do (the
    reply waits in the transcript for their next visit)."""
    row = await visitors.get(hub, visitor_id) if visitor_id is not None else None
    if row is None or not row.email:
        return DeliveryResult()
    async with hub.session_factory() as session:
        ticket = await session.get(Ticket, message.ticket_id)
        webchat = await session.get(Channel, message.channel_id)
        team_id = webchat.team_id if webchat is not None else None
        # The team's own mailbox first, then the oldest one.
        order = [(Channel.team_id == team_id).desc()] if team_id else []
        mailbox = await session.scalar(
            sa.select(Channel)
            .where(Channel.kind == ChannelKind.EMAIL, Channel.is_active)
            .order_by(*order, Channel.created_at)
            .limit(1)
        )
        if mailbox is None:
            raise DeliveryError(
                "the visitor left the chat and asked for e-mail, but no e-mail channel can send it",
                transient=False,
                code="delivery_webchat_no_mailbox",
                params={"email": row.email},
            )
        earlier = list(
            await session.execute(
                sa.select(Message.direction, Message.text, Message.created_at, User.name)
                .outerjoin(User, User.id == Message.author_user_id)
                .where(
                    Message.ticket_id == message.ticket_id,
                    Message.direction.in_([Direction.INBOUND, Direction.OUTBOUND]),
                    Message.id != message.message_id,
                )
                .order_by(Message.created_at.desc())
                .limit(TRANSCRIPT_MESSAGES)
            )
        )
    earlier.reverse()
    lines = [message.text, "", "—" * 20]
    for direction, text, at, author in earlier:
        who = (author or "客服 / Support") if direction is Direction.OUTBOUND else (row.name or "您 / You")
        lines.append(f"[{at.astimezone(UTC).strftime('%Y-%m-%d %H:%M')} UTC] {who}:")
        lines.append(text)
        lines.append("")
    mail = msgspec.structs.replace(
        message,
        channel_id=mailbox.id,
        channel_kind="email",
        channel_config=dict(mailbox.config),
        recipients=(row.email,),
        subject=(ticket.subject if ticket is not None and ticket.subject else "Chat"),
        text="\n".join(lines).rstrip() + "\n",
        html=None,
        references=(),
    )
    sender = hub.channels.sender_for("email")
    if sender is None:
        raise DeliveryError(
            "no e-mail sender in this build",
            transient=False,
            code="delivery_no_sender",
            params={"kind": "email"},
        )
    return await sender.send(mail)
