"""Playbook adherence for supervisors: of the required steps that fell due, how many were done on
time, per playbook and per agent.

A script handbook that nobody follows is a document, not a process; this is the number that says
whether it is followed. A required step counts once it was done, skipped, or its due instant has
passed: done by its due instant (or done, with no due instant) is on time; done after it is late;
skipped (always with a reason) is not done; still open past its due instant is overdue. A step not
yet due, not reached yet, or on a branch not taken counts nowhere. A done or skipped step belongs to
whoever did it; an overdue one to the ticket's assignee (``None``: nobody has the ticket).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.calendars import names
from hub.calendars.service import calendar_in
from hub.core import Hub
from hub.models import PlaybookRun, Ticket
from hub.playbooks.views import StepView, run_view

Outcome = Literal["on_time", "late", "skipped", "overdue"]


@dataclass
class Tally:
    on_time: int = 0
    late: int = 0
    skipped: int = 0
    overdue: int = 0

    @property
    def counted(self) -> int:
        return self.on_time + self.late + self.skipped + self.overdue

    @property
    def rate(self) -> float | None:
        """On time ÷ counted; ``None`` when nothing has fallen due."""
        return self.on_time / self.counted if self.counted else None

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, int | float | None]:
        return {
            "on_time": self.on_time,
            "late": self.late,
            "skipped": self.skipped,
            "overdue": self.overdue,
            "counted": self.counted,
            "rate": None if self.rate is None else round(self.rate, 4),
        }


@dataclass
class Adherence:
    total: Tally
    by_playbook: dict[str, Tally]
    #: Keyed by the user's id; ``None``: an overdue step on a ticket nobody has.
    by_agent: dict[uuid.UUID | None, Tally]


def outcome(step: StepView, now: datetime) -> Outcome | None:
    if not step.required:
        return None
    if step.state == "skipped":
        return "skipped"
    if step.state == "done" and step.record is not None:
        done_at = datetime.fromisoformat(step.record["at"])
        return "on_time" if step.due_at is None or done_at <= step.due_at else "late"
    if step.state == "open" and step.due_at is not None and step.due_at < now:
        return "overdue"
    return None


def _doer(step: StepView, assignee_id: uuid.UUID | None) -> uuid.UUID | None:
    if step.state == "open":
        return assignee_id
    try:
        return uuid.UUID(str((step.record or {}).get("by")))
    except ValueError:  # done by the system or a command line, not a person
        return None


async def adherence(
    hub: Hub, session: AsyncSession, actor: Actor, since: datetime, until: datetime, now: datetime
) -> Adherence:
    """Over the runs started in ``[since, until)``, as of ``now``."""
    permissions.require_supervisor(actor)
    rows = (
        await session.execute(
            sa.select(PlaybookRun, Ticket.assignee_id)
            .join(Ticket, Ticket.id == PlaybookRun.ticket_id)
            .where(PlaybookRun.started_at >= since, PlaybookRun.started_at < until)
            .order_by(PlaybookRun.started_at)
        )
    ).all()
    calendar = await calendar_in(session, names.DEFAULT)
    found = Adherence(Tally(), defaultdict(Tally), defaultdict(Tally))
    for run, assignee_id in rows:
        view = await run_view(hub, session, run, calendar)
        for step in view.steps:
            result = outcome(step, now)
            if result is None:
                continue
            found.total.add(result)
            found.by_playbook[run.playbook_id].add(result)
            found.by_agent[_doer(step, assignee_id)].add(result)
    return found
