"""The warnings and breaches a ticket's clocks owe, and when each falls due.

The sweep records each alert once (its key names the clock instance, so a recompute or a second
worker cannot record it twice) and stores the earliest alert still owed as the ticket's
``next_due_at``: that one indexed column is all the sweep scans.

* A **warning** is owed by an active clock once its warning instant passes; a clock already met,
  paused, void or breached owes none (a late warning helps nobody).
* A **breach** is owed by every clock whose due instant passed before it was met: still open, met
  late, or left unanswered when its cycle ended.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from hub.domain import TicketEventKind
from hub.sla.clock import ClockState, TargetClock
from hub.sla.targets import ClockStatus


@dataclass(frozen=True)
class Alert:
    kind: TicketEventKind  # sla_warning | sla_breached
    clock: TargetClock
    at: datetime

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.clock.key}"

    @property
    def actionable(self) -> bool:
        """Someone can still act: the clock is neither met nor ended (worth a notification)."""
        return self.clock.met_at is None and self.clock.ended_at is None


def _owed(clock: TargetClock) -> Iterable[Alert]:
    if clock.due_at is None:
        return
    if clock.state is ClockStatus.ACTIVE and clock.warn_at is not None:
        yield Alert(TicketEventKind.SLA_WARNING, clock, clock.warn_at)
    if clock.state in (ClockStatus.ACTIVE, ClockStatus.BREACHED):
        yield Alert(TicketEventKind.SLA_BREACHED, clock, clock.due_at)


def pending_alerts(state: ClockState, recorded: Collection[str] = ()) -> list[Alert]:
    """Alerts owed and not yet in ``recorded`` (their keys), earliest first."""
    owed = (alert for clock in state.clocks for alert in _owed(clock))
    return sorted((a for a in owed if a.key not in recorded), key=lambda a: a.at)


def next_due(alerts: Iterable[Alert]) -> datetime | None:
    return min((a.at for a in alerts), default=None)
