"""Where a ticket's SLA targets stand, in the words a page shows: the side card and the inbox column.

The stored row (:class:`hub.models.TicketSla`) is what the sweep last computed. A target whose due
time has passed while the sweep has not yet run is shown as late already: the agent should not
learn of a breach a minute after the page could have told them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.models import TicketSla
from hub.sla.targets import ClockStatus, Target
from hub.sla.views import ClockRow


@dataclass(frozen=True)
class TargetLine:
    target: str
    #: A :class:`ClockStatus` value; ``breached`` also for an active target past its due time.
    state: str
    due_at: datetime | None
    met_at: datetime | None


@dataclass(frozen=True)
class SlaSummary:
    lines: tuple[TargetLine, ...]
    policy: str | None
    calendar: str
    paused_since: datetime | None
    #: A target of the current cycle was breached, maybe one no longer shown (an earlier wait for a
    #: next response, answered late): the same rule as the Breached view and the sweep's.
    cycle_breached: bool = False
    #: The client's oldest message not yet answered (on a phone line: a missed call's callback due).
    waiting_since: datetime | None = None

    @property
    def breached(self) -> bool:
        return self.cycle_breached or any(line.state == ClockStatus.BREACHED for line in self.lines)

    @property
    def next_due_at(self) -> datetime | None:
        """The earliest due time of a target still running: what the inbox sorts the day by."""
        running = [line.due_at for line in self.lines if line.state == ClockStatus.ACTIVE and line.due_at]
        return min(running, default=None)

    @property
    def paused(self) -> bool:
        return self.paused_since is not None and any(line.state == ClockStatus.PAUSED for line in self.lines)


def summarise(row: TicketSla | ClockRow | None, now: datetime) -> SlaSummary | None:
    """``None`` when the ticket's clocks were never computed (``hub sla recompute``)."""
    if row is None:
        return None
    lines = []
    for target in Target:
        state = getattr(row, f"{target}_state")
        if state is None:
            continue  # the applied policy sets no such target
        due_at = getattr(row, f"{target}_due_at")
        if state is ClockStatus.ACTIVE and due_at is not None and due_at <= now:
            state = ClockStatus.BREACHED
        lines.append(TargetLine(target.value, state.value, due_at, getattr(row, f"{target}_at")))
    return SlaSummary(
        tuple(lines), row.policy_name, row.calendar, row.paused_since, bool(row.breached), row.waiting_since
    )
