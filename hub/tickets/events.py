"""What happens to a ticket, as typed events: raised by the use cases, heard by the subscribers.

Each event says what it leaves in the audit trail and which live update the inboxes get. The live
update names and payloads are the inbox's contract (``web/static/hub.js``): a client's portal
hears of its own ticket's messages and status, never of notes, SLA alerts or delivery details.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub import realtime
from hub.actors import CHANNEL, Actor
from hub.events.base import AuditLine, DomainEvent, TicketRef
from hub.ports import RealtimeEvent


def _id(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketEvent(DomainEvent):
    """Base of every event about one ticket."""

    ticket: TicketRef

    def _update(self, name: str, channels: list[str], **data: Any) -> RealtimeEvent:
        return RealtimeEvent(
            name=name,
            channels=tuple(channels),
            data={"ticket_id": str(self.ticket.id), "number": self.ticket.number, **data},
        )

    def _ticket_update(self, **data: Any) -> RealtimeEvent:
        return self._update("ticket.updated", self.ticket.channels(), status=self.ticket.status, **data)

    def _audit(self, actor: Actor, action: str, **fields: Any) -> AuditLine:
        return AuditLine(
            actor=actor, action=action, subject_type="ticket", subject_id=self.ticket.id, at=self.at, **fields
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketOpened(TicketEvent):
    """A client's first message opened a ticket (``linked_reason`` when it continues an older one).
    Its live update is the message's (:class:`hub.intake.events.MessageIngested`)."""

    channel_id: uuid.UUID
    contact_id: uuid.UUID
    linked_reason: str | None = None

    def audit(self) -> AuditLine:
        return self._audit(
            CHANNEL,
            "ticket.created",
            after={
                "number": self.ticket.number,
                "channel_id": str(self.channel_id),
                "contact_id": str(self.contact_id),
            },
            reason=self.linked_reason,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketReopened(TicketEvent):
    """A client wrote again on a resolved or closed ticket."""

    previous: str

    def audit(self) -> AuditLine:
        return self._audit(
            CHANNEL,
            "ticket.reopened",
            before={"status": self.previous},
            after={"status": "open"},
            reason="customer replied",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyQueued(TicketEvent):
    """An agent's reply to the client is in the outbox."""

    message_id: uuid.UUID

    def live(self) -> RealtimeEvent:
        return self._update(
            "message.created",
            self.ticket.channels(),
            status=self.ticket.status,
            message_id=str(self.message_id),
            direction="outbound",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AutomaticReplyQueued(TicketEvent):
    """The channel's acknowledgement of a new ticket is in the outbox (not a human response)."""

    message_id: uuid.UUID

    def live(self) -> RealtimeEvent:
        return self._update(
            "message.created",
            self.ticket.staff_channels(),
            message_id=str(self.message_id),
            direction="outbound",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CallLogged(TicketEvent):
    """An agent logged a call by hand on the ticket (a phone outside the PBX)."""

    message_id: uuid.UUID
    direction: str

    def live(self) -> RealtimeEvent:
        return self._update(
            "message.created",
            self.ticket.channels(),
            status=self.ticket.status,
            message_id=str(self.message_id),
            direction=self.direction,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class NoteAdded(TicketEvent):
    """An internal note: staff hear of it, the client's portal never does."""

    message_id: uuid.UUID

    def live(self) -> RealtimeEvent:
        return self._update(
            "message.created", self.ticket.staff_channels(), message_id=str(self.message_id), direction="note"
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageUpdated(TicketEvent):
    """A message changed after it was shown: its delivery status, or its media fetched."""

    message_id: uuid.UUID
    delivery_status: str | None = None

    def live(self) -> RealtimeEvent:
        data: dict[str, Any] = {"ticket_id": str(self.ticket.id), "message_id": str(self.message_id)}
        if self.delivery_status is not None:
            data["delivery_status"] = self.delivery_status
        return RealtimeEvent(name="message.updated", channels=tuple(self.ticket.staff_channels()), data=data)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyRetried(MessageUpdated):
    """An agent sent a failed reply again: back in the outbox, its failure cleared."""

    actor: Actor
    previous_error: str | None = None

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "message.retried",
            before={
                "message_id": str(self.message_id),
                "delivery_status": "failed",
                "error": self.previous_error,
            },
            after={"message_id": str(self.message_id), "delivery_status": "queued"},
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusChanged(TicketEvent):
    actor: Actor
    previous: str
    status: str

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.status_changed",
            before={"status": self.previous},
            after={"status": self.status},
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketUpdated(TicketEvent):
    """The ticket's card changed (``field``: status, priority, scenario, tags): inboxes redraw it."""

    field: str

    def live(self) -> RealtimeEvent:
        return self._ticket_update(field=self.field)


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldChanged(TicketUpdated):
    """Priority or scenario set by staff."""

    actor: Actor
    previous: Any
    value: Any

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            f"ticket.{self.field}_changed",
            before={self.field: self.previous},
            after={self.field: self.value},
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class TagsChanged(TicketUpdated):
    actor: Actor
    previous: list[str]
    tags: list[str]
    field: str = "tags"

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor, "ticket.tags_changed", before={"tags": self.previous}, after={"tags": self.tags}
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Assigned(TicketEvent):
    """The ticket changed hands (``assignee_id`` None: back to the team queue)."""

    actor: Actor
    previous_assignee_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    reason: str

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.assigned" if self.assignee_id else "ticket.unassigned",
            before={"assignee_id": _id(self.previous_assignee_id)},
            after={"assignee_id": _id(self.assignee_id)},
            reason=self.reason,
        )

    def live(self) -> RealtimeEvent:
        # The previous assignee hears too: the ticket leaves their "mine" view.
        channels = [*self.ticket.staff_channels()]
        if self.previous_assignee_id:
            channels.append(realtime.agent(self.previous_assignee_id))
        return self._update("ticket.assigned", channels, assignee_id=_id(self.assignee_id))


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketsMerged(TicketUpdated):
    """This ticket was folded into ``target`` (its messages moved there; :mod:`hub.tickets.merge`)."""

    actor: Actor
    target_id: uuid.UUID
    target_number: int
    previous: str
    messages: int
    reason: str | None
    field: str = "merged"

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.merged",
            before={"status": self.previous, "merged_into_id": None},
            after={
                "status": "closed",
                "merged_into_id": str(self.target_id),
                "merged_into_number": self.target_number,
                "messages_moved": self.messages,
            },
            reason=self.reason,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class TicketSplit(TicketUpdated):
    """A message of this ticket became the new ticket ``new_id``."""

    actor: Actor
    new_id: uuid.UUID
    new_number: int
    message_id: uuid.UUID
    field: str = "split"

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.split",
            after={
                "ticket_id": str(self.new_id),
                "number": self.new_number,
                "message_id": str(self.message_id),
            },
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class MergeUndone(TicketUpdated):
    """A supervisor undid a merge (this ticket is back) or a split (the new ticket went back into it)."""

    actor: Actor
    kind: str
    other_id: uuid.UUID
    reason: str | None
    field: str = "unmerged"

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.unmerged" if self.kind == "merge" else "ticket.split_undone",
            before={"merged_into_id" if self.kind == "merge" else "split_into_id": str(self.other_id)},
            after={"status": self.ticket.status},
            reason=self.reason,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Escalated(TicketEvent):
    """A climb on the complaint ladder (``after`` set when the business-time ladder did it)."""

    actor: Actor
    previous_level: int
    level: int
    reason: str | None
    after: str | None = None

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.escalated",
            before={"escalation_level": self.previous_level},
            after={"escalation_level": self.level},
            reason=self.reason or f"unresolved after {self.after}",
        )

    def live(self) -> RealtimeEvent:
        return self._update("ticket.escalated", self.ticket.staff_channels(), level=self.level)


@dataclass(frozen=True, kw_only=True, slots=True)
class Deescalated(TicketEvent):
    """A resolved or closed ticket left the ladder."""

    actor: Actor
    previous_level: int
    reason: str

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.deescalated",
            before={"escalation_level": self.previous_level},
            after={"escalation_level": 0},
            reason=self.reason,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SlaAlerted(TicketEvent):
    """An SLA target of the ticket is about to breach (warning) or breached."""

    target: str
    due_at: datetime | None
    breached: bool

    def live(self) -> RealtimeEvent:
        return self._update(
            "sla.breached" if self.breached else "sla.warning",
            self.ticket.staff_channels(),
            target=self.target,
            due_at=self.due_at.isoformat() if self.due_at else None,
            assignee_id=_id(self.ticket.assignee_id),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class HandoffRequested(TicketEvent):
    """A question to another department's liaison, answered within the internal promise."""

    actor: Actor
    handoff_id: uuid.UUID
    to_team_id: uuid.UUID
    liaison_id: uuid.UUID
    note: str

    def audit(self) -> AuditLine:
        return self._audit(
            self.actor,
            "ticket.handoff_requested",
            after={
                "handoff_id": str(self.handoff_id),
                "to_team_id": str(self.to_team_id),
                "liaison_id": str(self.liaison_id),
            },
            reason=self.note,
        )

    def live(self) -> RealtimeEvent:
        return self._update(
            "handoff.requested",
            [realtime.agent(self.liaison_id), realtime.team(self.to_team_id)],
            handoff_id=str(self.handoff_id),
        )
