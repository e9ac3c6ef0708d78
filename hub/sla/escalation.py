"""The complaint escalation ladder as a pure function of a ticket's clocks.

Level *n* falls due when the current care cycle has been open for ``ESCALATION_LADDER[n-1]`` of
active business time on the ticket's calendar: 1, 3 and 5 business days (the company's complaint grading, 冲突分级处理).
Like the SLA clocks it runs from the start of the cycle (creation, or the last reopen) and stops
while the ticket waits on the client (pending): the company is not late while the client is.
Resolving ends the cycle, so a resolved ticket owes no level; a reopen starts the ladder again.

Each level is climbed once per cycle: its key (``escalation:<cycle>:<level>``) is the dedupe key
of its ``escalated`` event, so a second sweep, or a supervisor escalating by hand at the same
moment, cannot record it twice. Levels at or below the ticket's current level are never owed
(escalating by hand to level 2 skips the automatic level 1).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.calendars.durations import DurationSpec
from hub.calendars.model import Calendar
from hub.sla.clock import ClockState
from hub.sla.defaults import ESCALATION_LADDER
from hub.sla.span import reach


def step_key(cycle: int, level: int) -> str:
    return f"escalation:{cycle}:{level}"


@dataclass(frozen=True)
class Step:
    level: int
    cycle: int
    #: When the level falls due; ``None`` while the ticket waits on the client with time left.
    due_at: datetime | None
    #: The ladder's figure for this level (``1bd``), for the record and the notification.
    after: DurationSpec

    @property
    def key(self) -> str:
        return step_key(self.cycle, self.level)


def owed_steps(
    state: ClockState,
    calendar: Calendar,
    *,
    current_level: int,
    recorded: Collection[str] = (),
    ladder: Sequence[DurationSpec] = ESCALATION_LADDER,
) -> list[Step]:
    """The levels the current cycle still owes, lowest first (empty once resolved)."""
    start = state.cycle_started_at
    if not state.open or start is None:
        return []
    steps = []
    for level, spec in enumerate(ladder, start=1):
        if level <= current_level or step_key(state.cycle, level) in recorded:
            continue
        due = reach(calendar, spec.business, start, spec.length(calendar.business_day), state.pauses)
        steps.append(Step(level, state.cycle, due.at, spec))
    return steps


def next_step_due(steps: Sequence[Step]) -> datetime | None:
    """The earliest known due instant among ``steps``."""
    return min((s.due_at for s in steps if s.due_at is not None), default=None)
