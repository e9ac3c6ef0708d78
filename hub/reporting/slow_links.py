"""Where time is lost: the period's waiting time by stage, ranked, by channel and by team.

Stages, each read from the samples the metric engine keeps (docs/metrics.md):

- ``pickup``: waiting for a person to pick the conversation up (``human_pickup``: from the bot's
  hand-off or the assignment, else the client's message, to the first response);
- ``reply``: waiting for our next reply (``reply_time``);
- ``department``: waiting on another department (internal hand-offs, ``liaison``: from the
  question to its answer, or to now while it is still open);
- ``partner``: waiting on the client or partner (pending): a resolved ticket's full resolution
  less its active resolution.

Every figure comes from one list of (stage, channel, team) rows, so the stage totals, the channel
table and the team table add up to the same seconds.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.calendars.arithmetic import business_between
from hub.calendars.model import Calendar
from hub.calendars.service import calendar_in
from hub.models import MetricSample, Team
from hub.reporting import reports
from hub.reporting.reports import Filters

STAGES = ("pickup", "reply", "department", "partner")
#: The samples a stage's drill-down lists (the dashboard's samples page).
DRILL = {
    "pickup": {"metric": "human_pickup"},
    "reply": {"metric": "reply_time"},
    "department": {"promise": "liaison"},
    "partner": {"metric": "resolution_full"},
}


@dataclass(frozen=True)
class Row:
    """Waiting time of one stage in one group: how many waits and their sum, in seconds."""

    stage: str
    key: str | None
    n: int
    seconds: float

    @property
    def mean(self) -> float | None:
        return self.seconds / self.n if self.n else None


@dataclass(frozen=True)
class SlowLinks:
    stages: list[Row]
    by_channel: list[Row]
    by_team: list[Row]
    #: Team ids (as text) to their names: (English, Chinese or None).
    teams: dict[str, tuple[str, str | None]]

    @property
    def total(self) -> float:
        return sum(r.seconds for r in self.stages)


async def _durations(
    session: AsyncSession, filters: Filters
) -> list[tuple[str, str | None, Any, int, float]]:
    s = MetricSample
    seconds = s.calendar_seconds if filters.calendar_time else s.business_seconds
    stage = sa.case((s.metric == "human_pickup", "pickup"), else_="reply")
    rows = await session.execute(
        sa.select(
            stage, s.channel_kind, s.team_id, sa.func.count(), sa.func.coalesce(sa.func.sum(seconds), 0.0)
        )
        .where(*reports.sample_where(filters), s.metric.in_(["human_pickup", "reply_time"]))
        .group_by(stage, s.channel_kind, s.team_id)
    )
    return [(r[0], r[1], r[2], int(r[3]), float(r[4])) for r in rows]


async def _pending(session: AsyncSession, filters: Filters) -> list[tuple[str, str | None, Any, int, float]]:
    full = MetricSample
    active = sa.orm.aliased(MetricSample)
    if filters.calendar_time:
        waited = full.calendar_seconds - active.calendar_seconds
    else:
        waited = full.business_seconds - active.business_seconds
    rows = await session.execute(
        sa.select(full.channel_kind, full.team_id, sa.func.count(), sa.func.sum(waited))
        .join(
            active,
            sa.and_(
                active.ticket_id == full.ticket_id,
                active.metric == "resolution_active",
                active.key == full.key,
            ),
        )
        .where(*reports.sample_where(filters), full.metric == "resolution_full", waited > 0)
        .group_by(full.channel_kind, full.team_id)
    )
    return [("partner", r[0], r[1], int(r[2]), float(r[3] or 0.0)) for r in rows]


async def _handoffs(
    session: AsyncSession, filters: Filters, now: datetime
) -> list[tuple[str, str | None, Any, int, float]]:
    """Hand-offs carry no stored duration (an SLA instance has an outcome, not a length): measured
    here from the question to the answer, or to ``now`` while unanswered, on the sample's calendar."""
    s = MetricSample
    rows = await session.execute(
        sa.select(s.channel_kind, s.team_id, s.started_at, s.ended_at, s.calendar).where(
            *reports.sample_where(filters),
            s.metric == "sla",
            s.target == "liaison",
            s.started_at.is_not(None),
        )
    )
    calendars: dict[str, Calendar] = {}
    found: dict[tuple[str | None, Any], list[float]] = defaultdict(lambda: [0, 0.0])
    for channel, team, started, ended, name in rows:
        assert started is not None
        end = min(ended or now, now)
        if end <= started:
            continue
        if filters.calendar_time:
            waited = (end - started).total_seconds()
        else:
            if name not in calendars:
                calendars[name] = await calendar_in(session, name)
            waited = business_between(calendars[name], started, end).total_seconds()
        entry = found[(channel, team)]
        entry[0] += 1
        entry[1] += waited
    return [("department", c, t, int(v[0]), float(v[1])) for (c, t), v in found.items()]


def _ranked(rows: dict[tuple[str, str | None], list[float]]) -> list[Row]:
    return sorted(
        (Row(stage, key, int(v[0]), v[1]) for (stage, key), v in rows.items()),
        key=lambda r: (-r.seconds, r.stage, r.key or ""),
    )


async def slow_links(session: AsyncSession, actor: Actor, filters: Filters, now: datetime) -> SlowLinks:
    """The period's waiting time per stage (ranked, longest first), and per channel and team."""
    filters = reports.scoped(actor, filters)
    fine = [
        *(await _durations(session, filters)),
        *(await _handoffs(session, filters, now)),
        *(await _pending(session, filters)),
    ]
    stages: dict[tuple[str, str | None], list[float]] = {(stage, None): [0, 0.0] for stage in STAGES}
    channels: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0, 0.0])
    teams: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0, 0.0])
    for stage, channel, team, n, seconds in fine:
        for table, key in ((stages, None), (channels, channel), (teams, str(team) if team else None)):
            entry = table.setdefault((stage, key), [0, 0.0])
            entry[0] += n
            entry[1] += seconds
    ids = [uuid.UUID(key) for _, key in teams if key]
    names = {}
    if ids:
        found = await session.execute(sa.select(Team.id, Team.name, Team.name_zh).where(Team.id.in_(ids)))
        names = {str(i): (name, zh) for i, name, zh in found}
    return SlowLinks(_ranked(stages), _ranked(channels), _ranked(teams), names)


def table(found: SlowLinks) -> list[list[Any]]:
    """The page's three tables as the export writes them (seconds, in the page's unit)."""
    out: list[list[Any]] = [["by", "group", "stage", "n", "seconds", "mean_seconds"]]
    for by, rows in (("stage", found.stages), ("channel", found.by_channel), ("team", found.by_team)):
        for row in rows:
            group = (
                found.teams.get(row.key or "", (row.key or "-", None))[0] if by == "team" else row.key or "-"
            )
            mean = round(row.mean, 1) if row.mean is not None else None
            out.append(
                [by, "total" if by == "stage" else group, row.stage, row.n, round(row.seconds, 1), mean]
            )
    return out
