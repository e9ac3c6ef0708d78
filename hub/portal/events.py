"""What the portal's use cases raise: one event type, named by ``action``, for the audit trail and
the live updates of the staff and of the partner's own portal users.

``order.synced``, ``order_line.confirmed``, ``date_proposal.created``, ``date_proposal.accepted``,
``shipping_notice.submitted``... The audit trail files each under its subject (an order, a
proposal, a notice); the staff's inboxes and the partner's own portal hear that something changed
(a later projection, a scorecard cache or the colleague's meeting agenda filters on ``action``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from hub import realtime
from hub.actors import Actor
from hub.events.base import AuditLine, DomainEvent
from hub.ports import RealtimeEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class PortalChanged(DomainEvent):
    actor: Actor
    action: str
    subject_id: uuid.UUID
    organization_id: uuid.UUID
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None

    @property
    def subject_type(self) -> str:
        return self.action.partition(".")[0]

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

    def live(self) -> RealtimeEvent:
        """Ids and the action only: the page that hears it reads the record through the scope."""
        return RealtimeEvent(
            name=f"portal.{self.action}",
            channels=(realtime.STAFF, realtime.organization(self.organization_id)),
            data={"subject_id": str(self.subject_id), "action": self.action},
        )
