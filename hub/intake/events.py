"""A message that came in through a channel and went through the funnel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.events.base import DomainEvent, TicketRef
from hub.intake.inbound import InboundMessage, IngestResult
from hub.ports import RealtimeEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageIngested(DomainEvent):
    """One inbound message processed (never a duplicate): the inboxes hear of the new ticket or
    message, and subscribers act on the message itself: the channel's follow-ups (WeChat media
    and profile fetches), and next playbook suggestions and CSAT answers.

    ``ticket`` is None for a notice from someone with no conversation on the channel (kept on
    their identity, no ticket); it is the ticket as this message left it otherwise.
    """

    channel_kind: str
    message: InboundMessage
    result: IngestResult
    ticket: TicketRef | None
    subject: str | None = None

    def live(self) -> RealtimeEvent | None:
        if self.ticket is None or self.result.message_id is None:
            return None
        data: dict[str, Any] = {
            "ticket_id": str(self.ticket.id),
            "number": self.ticket.number,
            "message_id": str(self.result.message_id),
            "subject": self.subject,
            "status": self.ticket.status,
        }
        if self.message.direction == "outbound":
            data["direction"] = "outbound"
        if self.message.client_message_id:
            data["client_message_id"] = self.message.client_message_id
        return RealtimeEvent(
            name="ticket.created" if self.result.created_ticket else "message.created",
            channels=tuple(self.ticket.channels()),
            data=data,
        )
