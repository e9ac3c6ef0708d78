"""Who gets a new ticket: a pure choice, so every rule is testable without a database.

Order: the client's dedicated account manager; the backup when the manager is away or full;
else the least-loaded available agent of the channel's team (ties go to whoever waited longest
since their last assignment, which makes equal loads round-robin).

Available means active, present (``available``), with room under their capacity, and inside their
working hours (their team's calendar, see :mod:`hub.calendars.working_hours`): an agent whose day
is over gets no new ticket even if they forgot to set themselves away.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.domain import Presence

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    user_id: uuid.UUID
    presence: Presence
    is_active: bool
    open_tickets: int
    capacity: int
    last_assigned_at: datetime | None = None
    #: Inside their working hours now.
    in_hours: bool = True

    @property
    def can_take(self) -> bool:
        has_room = self.capacity == 0 or self.open_tickets < self.capacity
        return self.is_active and self.presence is Presence.AVAILABLE and self.in_hours and has_room

    @property
    def why_not(self) -> str:
        if not self.is_active:
            return "inactive"
        if self.presence is not Presence.AVAILABLE:
            return self.presence.value
        if not self.in_hours:
            return "outside working hours"
        return "at capacity"


@dataclass(frozen=True)
class Choice:
    user_id: uuid.UUID | None
    reason: str


def choose_assignee(manager: Candidate | None, backup: Candidate | None, team: list[Candidate]) -> Choice:
    if manager is not None and manager.can_take:
        return Choice(manager.user_id, "account manager")
    if backup is not None and backup.can_take:
        why = f"backup: account manager {manager.why_not}" if manager else "backup manager"
        return Choice(backup.user_id, why)
    pool = [c for c in team if c.can_take]
    if not pool:
        return Choice(None, "no available agent in the team")
    best = min(pool, key=lambda c: (c.open_tickets, c.last_assigned_at or _NEVER, str(c.user_id)))
    return Choice(best.user_id, "least-loaded available agent of the team")
