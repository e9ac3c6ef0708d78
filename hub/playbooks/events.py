"""The domain event of a playbook run: audited, and the ticket's page and inboxes redraw."""

from __future__ import annotations

from dataclasses import dataclass

from hub.actors import Actor
from hub.events.base import AuditLine
from hub.ports import RealtimeEvent
from hub.tickets.events import TicketUpdated


@dataclass(frozen=True, kw_only=True, slots=True)
class PlaybookChanged(TicketUpdated):
    actor: Actor
    #: ``started``, ``step_done``, ``step_skipped``.
    action: str
    playbook: str
    step: str | None = None
    reason: str | None = None
    field: str = "playbook"

    def audit(self) -> AuditLine:
        after = {"playbook": self.playbook, **({"step": self.step} if self.step else {})}
        return self._audit(self.actor, f"playbook.{self.action}", after=after, reason=self.reason)

    def live(self) -> RealtimeEvent:
        # Staff only: a client's portal has no business with the agent's script.
        return self._update(
            "ticket.updated", self.ticket.staff_channels(), status=self.ticket.status, field=self.field
        )
