"""What every domain event is: a frozen record of something that happened, and what it says of itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub import realtime
from hub.actors import Actor
from hub.ports import RealtimeEvent

if TYPE_CHECKING:
    from hub.models import Ticket


@dataclass(frozen=True, slots=True)
class TicketRef:
    """The ticket as the event saw it: enough to address a live update without loading it again."""

    id: uuid.UUID
    number: int
    team_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    organization_id: uuid.UUID | None = None
    status: str | None = None

    @classmethod
    def of(cls, ticket: Ticket | Any) -> TicketRef:
        """From a loaded :class:`~hub.models.Ticket`, or a sweep's lighter row with the same names."""
        status = getattr(ticket, "status", None)
        return cls(
            id=ticket.id,
            number=ticket.number,
            team_id=ticket.team_id,
            assignee_id=ticket.assignee_id,
            organization_id=getattr(ticket, "organization_id", None),
            status=getattr(status, "value", status),
        )

    def staff_channels(self) -> list[str]:
        """Who watches the ticket inside the company (internal notes, SLA alerts, delivery details)."""
        return realtime.for_ticket(team_id=self.team_id, assignee_id=self.assignee_id, organization_id=None)

    def channels(self) -> list[str]:
        """Who watches the ticket, its client organisation's portal users included."""
        return realtime.for_ticket(
            team_id=self.team_id, assignee_id=self.assignee_id, organization_id=self.organization_id
        )


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One row of the append-only audit trail (:class:`hub.models.AuditEvent`)."""

    actor: Actor
    action: str
    subject_type: str
    subject_id: uuid.UUID | str
    at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainEvent:
    """Base of every event. Subclasses say what they mean for the audit trail and the inboxes by
    overriding :meth:`audit` and :meth:`live`; a subscriber of a new kind (playbooks, CSAT, a
    report projection) registers on the bus and needs nothing from the event but its fields."""

    at: datetime

    def audit(self) -> AuditLine | None:
        """The audit line this event leaves, written in the same transaction as the change."""
        return None

    def live(self) -> RealtimeEvent | None:
        """The live update inboxes get once the change is committed."""
        return None
