"""One promise with one due instant, outside the ticket clocks: a requirement's feedback to the
client (``3bd``) and a liaison's answer to a hand-off (``2bh``).

Simpler than :mod:`hub.sla.clock` on purpose: it starts when the object is created, never pauses,
and is met once. The rules match the ticket clocks so reports can treat every target alike
(:class:`hub.sla.targets.ClockStatus`): met when answered no later than the due instant,
breached when the due instant passes first (answered late, or not at all), void when called off
before it was due.
A warning is owed once the warning instant passes while nothing is answered yet.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from hub.calendars.durations import DurationSpec
from hub.calendars.model import Calendar
from hub.sla.span import advance
from hub.sla.targets import ClockStatus

WARNING, BREACHED = "warning", "breached"


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    warn_at: datetime | None

    @classmethod
    def plan(cls, calendar: Calendar, start: datetime, spec: DurationSpec, warning_lead: float) -> Deadline:
        """Due ``spec`` after ``start`` on ``calendar``; warned when ``warning_lead`` of it is left."""
        length = spec.length(calendar.business_day)
        warn = (
            advance(calendar, spec.business, start, length * (1 - warning_lead)) if warning_lead > 0 else None
        )
        return cls(advance(calendar, spec.business, start, length), warn)

    def state(
        self, now: datetime, *, met_at: datetime | None, void_at: datetime | None = None
    ) -> ClockStatus:
        if met_at is not None:
            return ClockStatus.MET if met_at <= self.due_at else ClockStatus.BREACHED
        if void_at is not None and void_at <= self.due_at:
            return ClockStatus.VOID
        return ClockStatus.BREACHED if self.due_at < now else ClockStatus.ACTIVE

    def owed(
        self, *, met_at: datetime | None, void_at: datetime | None = None, recorded: Collection[str] = ()
    ) -> list[tuple[str, datetime]]:
        """``(WARNING | BREACHED, instant)`` alerts not yet in ``recorded``, earliest first."""
        found = []
        open_ = met_at is None and void_at is None
        if open_ and self.warn_at is not None and WARNING not in recorded:
            found.append((WARNING, self.warn_at))
        settled = met_at if met_at is not None else void_at
        if (settled is None or settled > self.due_at) and BREACHED not in recorded:
            found.append((BREACHED, self.due_at))
        return sorted(found, key=lambda alert: alert[1])


def next_due(alerts: Collection[tuple[str, datetime]], now: datetime) -> datetime | None:
    """When the sweep must look again: the earliest alert at or after ``now``."""
    return min((at for _, at in alerts if at >= now), default=None)
