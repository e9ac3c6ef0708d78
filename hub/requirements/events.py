"""What happens to a client requirement (the record -> hand on -> deliver -> feedback loop).

The requirement keeps its own typed log (:class:`hub.models.RequirementEvent`), written by the use
case like a ticket's; these events are for the subscribers: the audit trail today, the
requirement-fulfilment metrics and playbook steps next.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from hub.actors import Actor
from hub.events.base import AuditLine, DomainEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class RequirementChange(DomainEvent):
    requirement_id: uuid.UUID
    actor: Actor

    #: The audit action, set by each subclass.
    action = ""

    def _line(self, **fields: Any) -> AuditLine:
        return AuditLine(
            actor=self.actor,
            action=self.action,
            subject_type="requirement",
            subject_id=self.requirement_id,
            at=self.at,
            **fields,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class RequirementRecorded(RequirementChange):
    ticket_id: uuid.UUID
    snapshot: dict[str, Any]
    action = "requirement.recorded"

    def audit(self) -> AuditLine:
        return self._line(after=self.snapshot)


@dataclass(frozen=True, kw_only=True, slots=True)
class RequirementTransferred(RequirementChange):
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
    action = "requirement.transferred"

    def audit(self) -> AuditLine:
        return self._line(before=self.before, after=self.after, reason=self.reason)


@dataclass(frozen=True, kw_only=True, slots=True)
class RequirementStatusChanged(RequirementChange):
    previous: str
    status: str
    reason: str | None
    action = "requirement.status_changed"

    def audit(self) -> AuditLine:
        return self._line(before={"status": self.previous}, after={"status": self.status}, reason=self.reason)


@dataclass(frozen=True, kw_only=True, slots=True)
class RequirementFeedbackGiven(RequirementChange):
    late: bool
    said: str | None
    action = "requirement.feedback_given"

    def audit(self) -> AuditLine:
        return self._line(after={"late": self.late}, reason=self.said)
