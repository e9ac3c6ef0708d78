"""What the quality, meeting, action-item and link use cases tell the bus: one event shape for every
change of those records, so each leaves its line in the audit trail with the change.

Orders, proposals and notices raise :class:`hub.portal.events.PortalChanged`, which also pushes a
live update to the partner's portal; these records name their subject type themselves, since an
action such as ``quality_step.answered`` files under its case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from hub.actors import Actor
from hub.events.base import AuditLine, DomainEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class PortalRecordChanged(DomainEvent):
    actor: Actor
    #: ``quality_case.opened``, ``quality_step.answered``, ``meeting.published``...
    action: str
    subject_type: str
    subject_id: uuid.UUID
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None

    def audit(self) -> AuditLine:
        return AuditLine(
            actor=self.actor,
            action=self.action,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            at=self.at,
            before=self.before,
            after=self.after,
            reason=self.reason,
        )
