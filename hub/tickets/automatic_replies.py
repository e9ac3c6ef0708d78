"""Messages the hub itself sends to a client (acknowledgements), through the outbox like a reply.

They are marked automatic (``is_auto``) so the channel can say so on the wire (e-mail:
``Auto-Submitted: auto-replied``) and so no clock ever takes them for a human response. At most
one per contact in ``once_per``: the last line of defence against two robots answering each
other, whatever the channel's own loop detection missed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from hub.calendars.durations import parse_duration
from hub.core import Hub
from hub.domain import DeliveryStatus, Direction, TicketEventKind
from hub.events import TicketRef
from hub.models import Contact, Message, Outbox, Ticket
from hub.tickets import events, timeline
from hub.tickets.tickets import DELIVER_JOB


async def send_automatic_reply(
    hub: Hub,
    ticket_id: uuid.UUID,
    *,
    text: str | None = None,
    subject: str | None = None,
    kind: str = "acknowledgement",
    once_per: timedelta = timedelta(hours=1),
) -> Message | None:
    """Queue an automatic message to the ticket's contact; ``None`` when one went out too recently,
    or when no text is given and the playbook library has none of this ``kind`` for the channel.

    Without ``text``, the library's automatic reply (``playbooks/library/acknowledgement.yaml``, or
    the company's own) is filled in for the ticket and its ``once_per`` applies. A given ``text``
    and ``subject`` (a mailbox's own acknowledgement) may name ``{number}`` and ``{subject}``.
    """
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await uow.session.get(Ticket, ticket_id)
        if ticket is None:
            return None
        # Serialise per contact, so two mails arriving together cannot both be acknowledged.
        contact = await uow.session.get(Contact, ticket.contact_id, with_for_update=True)
        if text is None:
            found = hub.playbooks.automatic_reply(
                kind,
                channel=ticket.channel_kind.value,
                values={
                    "ticket.number": str(ticket.number),
                    "ticket.subject": ticket.subject,
                    "contact.display_name": contact.name if contact is not None else None,
                },
            )
            if found is None:
                return None
            rendered, every = found
            once_per = parse_duration(every).length(timedelta(hours=8))
            text, subject = rendered.text, rendered.subject
        else:
            fill = _Fill(number=ticket.number, subject=ticket.subject)
            text, subject = _filled(text, fill), _filled(subject, fill) if subject else None
        recent = await uow.session.scalar(
            sa.select(Message.id)
            .join(Ticket, Ticket.id == Message.ticket_id)
            .where(
                Ticket.contact_id == ticket.contact_id,
                Message.direction == Direction.OUTBOUND,
                Message.is_auto,
                Message.created_at > now - once_per,
            )
            .limit(1)
        )
        if recent is not None:
            return None
        meta: dict[str, str] = {"automatic": kind}
        if subject:
            meta["subject"] = subject[:500]
        message = Message(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            direction=Direction.OUTBOUND,
            type="text",
            channel_id=ticket.channel_id,
            text=text,
            is_auto=True,
            delivery_status=DeliveryStatus.QUEUED,
            meta=meta,
            created_at=now,
        )
        uow.session.add(message)
        await uow.session.flush()
        outbox = Outbox(
            id=uuid.uuid4(), message_id=message.id, channel_id=ticket.channel_id, next_attempt_at=now
        )
        uow.session.add(outbox)
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.AUTO_MESSAGE,
            at=now,
            message_id=message.id,
            direction="outbound",
        )
        uow.enqueue(DELIVER_JOB, str(outbox.id), job_id=f"deliver:{outbox.id}:0")
        uow.emit(events.AutomaticReplyQueued(at=now, ticket=TicketRef.of(ticket), message_id=message.id))
        await uow.commit()
        return message


class _Fill(dict[str, object]):
    """Template values; an unknown ``{name}`` stays as written instead of failing the message."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _filled(template: str, fill: _Fill) -> str:
    try:
        return template.format_map(fill)
    except (ValueError, IndexError, AttributeError, KeyError):
        return template  # a stray brace in an admin's text: send it as written
