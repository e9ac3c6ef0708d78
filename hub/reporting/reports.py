"""Reports over the metric samples: one ticket, a period's summary by dimension, trends, drill-down.

Who sees what: supervisors and admins every number; an agent only the samples attributed to them
(their responses and resolutions), so "my numbers" never shows a colleague's. A partner sees none.

Periods are whole days on the samples' calendar (``day`` is the bucketing instant's date there):
durations count on the day they ended, SLA outcomes on their decisive day, surveys on the day
they were sent (docs/metrics.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.domain import Role
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.models import (
    MetricDaily,
    MetricQueue,
    MetricSample,
    Organization,
    Team,
    ThreadRef,
    Ticket,
    TicketSla,
    User,
)
from hub.reporting.samples import DURATION_METRICS
from hub.tickets.status import RESOLVED_CATEGORY

#: ``--by`` choices and the sample column each groups by.
DIMENSIONS = {
    "agent": MetricSample.agent_id,
    "team": MetricSample.team_id,
    "channel": MetricSample.channel_kind,
    "client": MetricSample.organization_id,
    "priority": MetricSample.priority,
    "playbook": MetricSample.playbook_id,
}
#: The same dimensions in the daily rollups.
ROLLUP_DIMENSIONS = {
    "agent": MetricDaily.agent_id,
    "team": MetricDaily.team_id,
    "channel": MetricDaily.channel_kind,
    "client": MetricDaily.organization_id,
    "priority": MetricDaily.priority,
    "playbook": MetricDaily.playbook_id,
}
#: Target types compliance is reported for, in this order.
TARGETS = (
    "first_response",
    "next_response",
    "resolution",
    "liaison",
    "requirement_feedback",
    "escalation_1",
    "escalation_2",
    "escalation_3",
)
PERIODS = ("day", "week", "month")
#: A resolve undone by a reopen within this many days counts in the reopen rate (Zammad's "last
#: seven days").
REOPEN_DAYS = 7
#: Memory for the summary's sort (a month of a million-ticket year: about 250,000 durations).
SORT_MEMORY = "64MB"
#: A target instance's outcome as of now: one still active past its due instant is breached (the
#: sweep records the breach; the stored sample is filed under its due day already and is
#: rewritten at the ticket's next event).
OUTCOME = sa.case(
    (
        sa.and_(MetricSample.outcome == sa.literal_column("'active'"), MetricSample.due_at < sa.func.now()),
        sa.literal_column("'breached'"),
    ),
    else_=MetricSample.outcome,
)
#: The prefix an imported conversation's ref is kept under as the ticket's thread ref.
IMPORT_REF = "import:"


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    channel: str | None = None
    by: str | None = None
    #: Calendar seconds instead of business seconds.
    calendar_time: bool = False
    #: Only these agents' samples (an agent's own view).
    agent_id: uuid.UUID | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The dashboards' other filters: one team, client organisation, priority or playbook.
    team_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    priority: str | None = None
    playbook: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(detail="--to is before --from")
        if self.by is not None and self.by not in DIMENSIONS:
            raise InvalidInput(detail=f"--by must be one of {', '.join(DIMENSIONS)}")

    def describe(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "channel": self.channel,
            "by": self.by,
            "unit": "calendar_seconds" if self.calendar_time else "business_seconds",
            "agent_id": str(self.agent_id) if self.agent_id else None,
            **{name: str(value) for name, value in self.narrowing().items()},
        }

    def narrowing(self) -> dict[str, Any]:
        """The dashboards' filters that are set (only those are described, so the reports' headers
        stay as they were without them)."""
        values = {
            "team_id": self.team_id,
            "organization_id": self.organization_id,
            "priority": self.priority,
            "playbook": self.playbook,
        }
        return {name: value for name, value in values.items() if value is not None}


def scoped(actor: Actor, filters: Filters) -> Filters:
    """The filters an actor may use: an agent's are narrowed to their own samples."""
    if actor.kind != "user":
        return filters
    if actor.role in (Role.SUPERVISOR, Role.ADMIN):
        return filters
    if actor.role is Role.AGENT and actor.user_id is not None:
        return replace(filters, agent_id=actor.user_id)
    raise Forbidden()


def _where(filters: Filters) -> list[sa.ColumnElement[bool]]:
    s = MetricSample
    clauses = [s.day >= filters.start, s.day <= filters.end]
    if filters.channel:
        clauses.append(s.channel_kind == filters.channel)
    if filters.agent_id:
        clauses.append(s.agent_id == filters.agent_id)
    return clauses + _narrowed(filters, s)


def sample_where(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """The period and filters on ``metric_samples`` (for other readers of the samples)."""
    return _where(filters)


def _narrowed(
    filters: Filters, table: type[MetricSample] | type[MetricDaily]
) -> list[sa.ColumnElement[bool]]:
    """The dashboards' filters on the samples or on the rollups (both carry the same columns)."""
    clauses = []
    if filters.team_id:
        clauses.append(table.team_id == filters.team_id)
    if filters.organization_id:
        clauses.append(table.organization_id == filters.organization_id)
    if filters.priority:
        clauses.append(table.priority == filters.priority)
    if filters.playbook:
        clauses.append(table.playbook_id == filters.playbook)
    return clauses


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# -- one ticket ------------------------------------------------------------------------------------


async def _ticket_id(session: AsyncSession, ref: str) -> uuid.UUID:
    found = await session.scalar(
        sa.select(ThreadRef.ticket_id).where(ThreadRef.ref == IMPORT_REF + ref).limit(1)
    )
    if found is None and ref.lstrip("#").isdigit():
        found = await session.scalar(sa.select(Ticket.id).where(Ticket.number == int(ref.lstrip("#"))))
    if found is None:
        raise NotFound(what="ticket")
    return found


async def _emails(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(sa.select(User.id, User.email).where(User.id.in_(ids)))
    return {user_id: email for user_id, email in rows}


async def ticket_report(session: AsyncSession, actor: Actor, ref: str) -> dict[str, Any]:
    """Every duration of one ticket (an imported ref or a ticket number), both ways measured."""
    if actor.kind == "user" and not actor.is_staff:
        raise NotFound(what="ticket")
    ticket_id = await _ticket_id(session, ref)
    ticket = await session.get(Ticket, ticket_id)
    assert ticket is not None
    samples = list(
        await session.scalars(
            sa.select(MetricSample)
            .where(MetricSample.ticket_id == ticket_id)
            .order_by(MetricSample.bucket_at, MetricSample.id)
        )
    )
    emails = await _emails(session, {s.agent_id for s in samples if s.agent_id})

    def duration(sample: MetricSample) -> dict[str, Any]:
        value: dict[str, Any] = {
            "calendar_seconds": _round(sample.calendar_seconds),
            "business_seconds": _round(sample.business_seconds),
        }
        if sample.agent_id:
            value["by"] = emails.get(sample.agent_id)
        return value

    def one(metric: str) -> dict[str, Any] | None:
        found = [s for s in samples if s.metric == metric]
        return duration(found[0]) if found else None

    def every(metric: str) -> list[dict[str, Any]]:
        return [duration(s) for s in samples if s.metric == metric]

    calendar = next((s.calendar for s in samples), None)
    return {
        "ticket_id": str(ticket.id),
        "number": ticket.number,
        "calendar": calendar,
        "first_response": one("first_response"),
        "human_pickup": one("human_pickup"),
        "reply_times": every("reply_time"),
        "resolution_first": one("resolution_first"),
        "resolution_full": one("resolution_full"),
        "resolution_cycles": every("resolution_cycle"),
        "resolution_active": one("resolution_active"),
        "reopen_count": sum(1 for s in samples if s.metric == "reopen"),
        # The ticket's log grew since these samples were derived: the worker's drain is due.
        "queued": await session.scalar(sa.select(sa.exists().where(MetricQueue.ticket_id == ticket_id))),
    }


# -- summary ---------------------------------------------------------------------------------------


def _empty_durations() -> dict[str, Any]:
    return {
        m: {"n": 0, "mean": None, "median": None, "p90": None, "max": None, "within_target_percent": None}
        for m in DURATION_METRICS
    }


def _empty_group() -> dict[str, Any]:
    return {
        "durations": _empty_durations(),
        "compliance": {t: {"met": 0, "breached": 0, "active": 0, "percent": None} for t in TARGETS},
        "csat": {
            "sent": 0,
            "responses": 0,
            "score_percent": None,
            "mean": None,
            "response_rate_percent": None,
        },
        "volumes": {
            "created": 0,
            "resolved": 0,
            "bot_resolved": 0,
            "reopens": 0,
            "reopened_within_7_days": 0,
            "reopen_rate_percent": None,
            "backlog_at_end": 0,
        },
        "live_wait": _wait(None),
    }


async def _labels(session: AsyncSession, by: str | None, keys: set[Any]) -> dict[Any, str]:
    ids = {k for k in keys if isinstance(k, uuid.UUID)}
    if by == "agent" and ids:
        rows = await session.execute(sa.select(User.id, User.name).where(User.id.in_(ids)))
    elif by == "team" and ids:
        rows = await session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(ids)))
    elif by == "client" and ids:
        rows = await session.execute(
            sa.select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        )
    else:
        return {k: str(k) for k in keys if k is not None}
    labels = {k: v for k, v in rows}
    return {k: labels.get(k, str(k)) for k in keys if k is not None}


async def summary(
    session: AsyncSession, actor: Actor, filters: Filters, *, durations: bool = True
) -> dict[str, Any]:
    """Per group (``filters.by``) and in total: N, mean, median, p90, max and % within target of
    each duration metric, compliance per target type, CSAT and volumes. ``durations=False``
    leaves the durations empty and skips their sort (a comparison that needs only the counts)."""
    filters = scoped(actor, filters)
    s = MetricSample
    seconds = s.calendar_seconds if filters.calendar_time else s.business_seconds
    key = DIMENSIONS[filters.by] if filters.by else sa.null()
    groups: dict[Any, dict[str, Any]] = {}
    total = _empty_group()
    where = _where(filters)

    def group(value: Any) -> dict[str, Any]:
        return groups.setdefault(value, _empty_group())

    # The percentiles sort a period's samples: in memory rather than through temporary files.
    await session.execute(sa.text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
    measured = (
        sa.select(
            key.label("key"),
            s.metric,
            sa.func.count(),
            sa.func.avg(seconds),
            sa.func.percentile_cont(0.5).within_group(seconds),
            sa.func.percentile_cont(0.9).within_group(seconds),
            sa.func.max(seconds),
            sa.func.count().filter(s.within_target.is_(True)),
            sa.func.count(s.within_target),
            _is_total(filters, key),
        )
        .where(*where, s.metric.in_(DURATION_METRICS))
        .group_by(*_grouping(filters, key, s.metric))
    )
    for row in await session.execute(measured) if durations else ():
        target = total if row.is_total else group(row.key)
        target["durations"][row.metric] = {
            "n": row[2],
            "mean": _round(row[3]),
            "median": _round(row[4]),
            "p90": _round(row[5]),
            "max": _round(row[6]),
            "within_target_percent": _percent(row[7], row[8]),
        }
    # Counts (compliance, surveys, volumes) from the daily rollups: a month is a few thousand rows.
    d = MetricDaily
    daily_key = ROLLUP_DIMENSIONS[filters.by] if filters.by else sa.null()
    counts = (
        sa.select(
            daily_key.label("key"),
            d.metric,
            d.target,
            d.outcome,
            sa.cast(sa.func.sum(d.n), sa.BigInteger),
            sa.cast(sa.func.sum(d.rating_sum), sa.BigInteger),
            sa.cast(sa.func.sum(d.rating_good), sa.BigInteger),
            _is_total(filters, daily_key),
        )
        .where(*_daily_where(filters), d.metric.not_in(DURATION_METRICS))
        .group_by(*_grouping(filters, daily_key, d.metric, d.target, d.outcome))
    )
    for row in await session.execute(counts):
        _add_count(total if row.is_total else group(row.key), row.metric, row.target, row.outcome, *row[4:7])
    # Instances still active past their due instant are breached as of now (few: a partial index).
    overdue = (
        sa.select(key.label("key"), s.target, sa.func.count(), _is_total(filters, key))
        .where(*where, s.metric == "sla", s.outcome == "active", s.due_at < sa.func.now())
        .group_by(*_grouping(filters, key, s.target))
    )
    for row in await session.execute(overdue):
        entry = (total if row.is_total else group(row.key))["compliance"].get(row.target)
        if entry is not None:
            entry["active"] -= row[2]
            entry["breached"] += row[2]
    # M6: resolutions of the period undone by a reopen within REOPEN_DAYS (counted by the resolve).
    reopen = sa.orm.aliased(MetricSample)
    undone = sa.exists().where(
        reopen.ticket_id == s.ticket_id,
        reopen.metric == "reopen",
        reopen.started_at == s.ended_at,
        reopen.ended_at <= s.ended_at + sa.text(f"interval '{REOPEN_DAYS} days'"),
    )
    reopened = (
        sa.select(key.label("key"), sa.func.count(), _is_total(filters, key))
        .where(*where, s.metric == "resolved", undone)
        .group_by(*_grouping(filters, key))
    )
    for row in await session.execute(reopened):
        (total if row.is_total else group(row.key))["volumes"]["reopened_within_7_days"] += row[1]
    for row in await session.execute(_backlog(filters)):
        (total if row.is_total else group(row.key))["volumes"]["backlog_at_end"] += row[1]
    for item in (total, *groups.values()):
        _finish(item)
    for row in await session.execute(_live_wait(filters)):
        (total if row.is_total else group(row.key))["live_wait"] = _wait(row)
    labels = await _labels(session, filters.by, set(groups))
    return {
        "filters": filters.describe(),
        "freshness": await freshness(session),
        "groups": [
            {"key": str(k) if k is not None else None, "label": labels.get(k), **v}
            for k, v in sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
        ],
        "total": total,
    }


def _backlog(filters: Filters) -> sa.Select[Any]:
    """Tickets open at the end of the period's last day, from their volume samples (the log's).

    A ticket is open then when it was created by that day and every resolve up to it was undone
    by a reopen up to it (a reopen's sample names the resolve it undoes; the two alternate). Each
    ticket is grouped by where it came in, its ``created`` sample's dimensions (for ``agent``: who
    it was assigned to at creation), and an agent's own view counts the tickets assigned to them
    then. Merged tickets have no ``created`` sample and are in no backlog.
    """
    s = MetricSample
    flows = (
        sa.select(
            s.ticket_id,
            sa.func.sum(sa.case((s.metric == "resolved", -1), else_=1)).label("net"),
        )
        .where(s.metric.in_(("resolved", "reopen")), s.day <= filters.end)
        .group_by(s.ticket_id)
        .subquery()
    )
    column = s.assignee_id if filters.by == "agent" else DIMENSIONS[filters.by] if filters.by else None
    key: Any = column if column is not None else sa.null()
    where: list[sa.ColumnElement[bool]] = [
        s.metric == "created",
        s.day <= filters.end,
        sa.func.coalesce(flows.c.net, 0) == 0,
    ]
    if filters.channel:
        where.append(s.channel_kind == filters.channel)
    if filters.agent_id:
        where.append(s.assignee_id == filters.agent_id)
    return (
        sa.select(key.label("key"), sa.func.count(), _is_total(filters, key))
        .select_from(s)
        .outerjoin(flows, flows.c.ticket_id == s.ticket_id)
        .where(*where)
        .group_by(*_grouping(filters, key))
    )


#: M4's groups: the ticket as it stands now (a live number has no frozen attribution).
LIVE_DIMENSIONS = {
    "agent": Ticket.assignee_id,
    "team": Ticket.team_id,
    "channel": Ticket.channel_kind,
    "client": Ticket.organization_id,
    "priority": Ticket.priority,
}


def _live_wait(filters: Filters) -> sa.Select[Any]:
    """M4, live and never stored: how long each open ticket's oldest unanswered customer message
    has waited now (``ticket_sla.waiting_since``, the SLA clock's), in calendar seconds whatever
    the unit of the rest (a wait still running has no business end to measure to). The period's
    days do not apply: it is a number of this instant."""
    column = LIVE_DIMENSIONS.get(filters.by or "")
    # No live dimension (``playbook``, or no ``by``): the total only.
    grouped = Filters(filters.start, filters.end, by=filters.by if column is not None else None)
    key: Any = sa.null() if column is None else column
    if column is not None and filters.by in ("channel", "priority"):
        key = sa.cast(column, sa.String)
    wait = sa.func.extract("epoch", sa.func.now() - TicketSla.waiting_since)
    where: list[sa.ColumnElement[bool]] = [
        TicketSla.waiting_since.is_not(None),
        Ticket.status.not_in(RESOLVED_CATEGORY),
    ]
    if filters.channel:
        where.append(Ticket.channel_kind == filters.channel)
    if filters.agent_id:
        where.append(Ticket.assignee_id == filters.agent_id)
    return (
        sa.select(
            key.label("key"),
            sa.func.count(),
            sa.func.avg(wait),
            sa.func.percentile_cont(0.5).within_group(wait),
            sa.func.max(wait),
            _is_total(grouped, key),
        )
        .select_from(TicketSla)
        .join(Ticket, Ticket.id == TicketSla.ticket_id)
        .where(*where)
        .group_by(*_grouping(grouped, key))
    )


def _wait(row: Any) -> dict[str, Any]:
    if row is None:
        return {"waiting": 0, "mean": None, "median": None, "max": None, "unit": "calendar_seconds"}
    return {
        "waiting": row[1],
        "mean": _round(row[2]),
        "median": _round(row[3]),
        "max": _round(row[4]),
        "unit": "calendar_seconds",
    }


async def freshness(session: AsyncSession) -> dict[str, Any]:
    """How far the samples lag the log: tickets whose log grew since their samples were derived
    (the worker drains them within seconds), and since when the oldest has waited."""
    count, oldest = (
        await session.execute(sa.select(sa.func.count(), sa.func.min(MetricQueue.queued_at)))
    ).one()
    now: datetime = (await session.execute(sa.select(sa.func.now()))).scalar_one()
    return {
        "as_of": now.isoformat(),
        "queued_tickets": int(count),
        "oldest_queued_at": oldest.isoformat() if oldest else None,
    }


def _is_total(filters: Filters, key: Any) -> sa.ColumnElement[Any]:
    """1 on the total rows, 0 on a group's (one statement gives both through grouping sets)."""
    if filters.by is None:
        return sa.literal(1).label("is_total")
    return sa.func.grouping(key).label("is_total")


def _grouping(filters: Filters, key: Any, *columns: Any) -> list[Any]:
    if filters.by is None:
        return list(columns)
    return [sa.func.grouping_sets(sa.tuple_(key, *columns), sa.tuple_(*columns))]


def _daily_where(filters: Filters) -> list[sa.ColumnElement[bool]]:
    d = MetricDaily
    clauses = [d.day >= filters.start, d.day <= filters.end]
    if filters.channel:
        clauses.append(d.channel_kind == filters.channel)
    if filters.agent_id:
        clauses.append(d.agent_id == filters.agent_id)
    return clauses + _narrowed(filters, d)


def _add_count(
    item: dict[str, Any],
    metric: str,
    target: str | None,
    outcome: str | None,
    n: int,
    ratings: int,
    good: int,
) -> None:
    if metric == "sla" and target:
        entry = item["compliance"].setdefault(target, {"met": 0, "breached": 0, "active": 0, "percent": None})
        if outcome in ("met", "breached"):
            entry[outcome] += n
        elif outcome in ("active", "paused"):
            entry["active"] += n
    elif metric == "csat_sent":
        item["csat"]["sent"] += n
    elif metric == "csat_response":
        csat = item["csat"]
        csat["responses"] += n
        csat["_sum"] = csat.get("_sum", 0) + ratings
        csat["_good"] = csat.get("_good", 0) + good
    elif metric == "reopen":
        item["volumes"]["reopens"] += n
    elif metric in ("created", "resolved", "bot_resolved"):
        item["volumes"][metric] += n


def _finish(item: dict[str, Any]) -> None:
    volumes = item["volumes"]
    volumes["reopen_rate_percent"] = _percent(volumes["reopened_within_7_days"], volumes["resolved"])
    for entry in item["compliance"].values():
        entry["percent"] = _percent(entry["met"], entry["met"] + entry["breached"])
    csat = item["csat"]
    good, total = csat.pop("_good", 0), csat.pop("_sum", 0)
    csat["score_percent"] = _percent(good, csat["responses"])
    csat["mean"] = round(total / csat["responses"], 2) if csat["responses"] else None
    csat["response_rate_percent"] = _percent(csat["responses"], csat["sent"])


# -- trends ----------------------------------------------------------------------------------------


async def trend(session: AsyncSession, actor: Actor, filters: Filters, every: str) -> dict[str, Any]:
    """Per day, week or month, from the daily rollups: N, mean and max of each duration metric,
    compliance per target type and CSAT."""
    if every not in PERIODS:
        raise InvalidInput(detail=f"--every must be one of {', '.join(PERIODS)}")
    filters = scoped(actor, filters)
    d = MetricDaily
    period = sa.cast(sa.func.date_trunc(every, d.day), sa.Date).label("period")
    total = d.calendar_sum if filters.calendar_time else d.business_sum
    biggest = d.calendar_max if filters.calendar_time else d.business_max
    query = (
        sa.select(
            period,
            d.metric,
            d.target,
            d.outcome,
            sa.cast(sa.func.sum(d.n), sa.BigInteger),
            sa.func.sum(total),
            sa.func.max(biggest),
            sa.cast(sa.func.sum(d.within), sa.BigInteger),
            sa.cast(sa.func.sum(d.with_target), sa.BigInteger),
            sa.cast(sa.func.sum(d.rating_sum), sa.BigInteger),
            sa.cast(sa.func.sum(d.rating_good), sa.BigInteger),
        )
        .where(*_daily_where(filters))
        .group_by(period, d.metric, d.target, d.outcome)
        .order_by(period)
    )
    rows: dict[date, dict[str, Any]] = {}
    for (
        p,
        metric,
        target,
        outcome,
        n,
        sum_,
        max_,
        within,
        with_target,
        ratings,
        good,
    ) in await session.execute(query):
        item = rows.setdefault(p, _empty_group())
        if metric in DURATION_METRICS:
            entry = item["durations"][metric]
            entry["_sum"] = entry.get("_sum", 0.0) + sum_
            entry["n"] += n
            entry["max"] = _round(
                max(v for v in (entry["max"], max_) if v is not None) if max_ is not None else entry["max"]
            )
            entry["_within"] = entry.get("_within", 0) + within
            entry["_with"] = entry.get("_with", 0) + with_target
        else:
            _add_count(item, metric, target, outcome, n, ratings, good)
    for item in rows.values():
        for entry in item["durations"].values():
            entry.pop("median"), entry.pop("p90")
            entry["mean"] = _round(entry.pop("_sum", 0.0) / entry["n"]) if entry["n"] else None
            entry["within_target_percent"] = _percent(entry.pop("_within", 0), entry.pop("_with", 0))
        _finish(item)
    return {
        "filters": {**filters.describe(), "every": every},
        "periods": [{"period": p.isoformat(), **v} for p, v in sorted(rows.items())],
    }


# -- drill-down ------------------------------------------------------------------------------------

SAMPLE_FIELDS = (
    "ticket_number",
    "metric",
    "target",
    "outcome",
    "started_at",
    "ended_at",
    "calendar_seconds",
    "business_seconds",
    "within_target",
    "calendar",
    "start_message_id",
    "end_message_id",
    "start_event_id",
    "end_event_id",
    "agent",
    "team",
    "channel",
    "client",
    "priority",
    "playbook",
    "rating",
    "day",
)


def samples_query(
    filters: Filters, metric: str | None = None, group: str | None = None
) -> sa.Select[*tuple[Any, ...]]:
    """The samples behind a number: the same filters as the summary, one metric, one group."""
    s = MetricSample
    agent = sa.orm.aliased(User)
    query: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            Ticket.number.label("ticket_number"),
            s.metric,
            s.target,
            OUTCOME.label("outcome"),
            s.started_at,
            s.ended_at,
            s.calendar_seconds,
            s.business_seconds,
            s.within_target,
            s.calendar,
            s.start_message_id,
            s.end_message_id,
            s.start_event_id,
            s.end_event_id,
            agent.email.label("agent"),
            Team.name.label("team"),
            s.channel_kind.label("channel"),
            Organization.name.label("client"),
            s.priority,
            s.playbook_id.label("playbook"),
            s.rating,
            s.day,
        )
        .join(Ticket, Ticket.id == s.ticket_id)
        .outerjoin(agent, agent.id == s.agent_id)
        .outerjoin(Team, Team.id == s.team_id)
        .outerjoin(Organization, Organization.id == s.organization_id)
        .where(*_where(filters))
        .order_by(s.bucket_at, s.id)
    )
    if metric:
        if metric.startswith("sla:"):
            query = query.where(s.metric == "sla", s.target == metric.removeprefix("sla:"))
        else:
            query = query.where(s.metric == metric)
    if group is not None and filters.by:
        column = DIMENSIONS[filters.by]
        if group == "":
            query = query.where(column.is_(None))
        else:
            query = query.where(sa.cast(column, sa.String) == group)
    return query


async def sample_rows(
    session: AsyncSession,
    actor: Actor,
    filters: Filters,
    *,
    metric: str | None = None,
    group: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    filters = scoped(actor, filters)
    query = samples_query(filters, metric, group).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [_jsonable(dict(row._mapping)) for row in await session.execute(query)]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    for name, value in row.items():
        if isinstance(value, datetime | date):
            row[name] = value.isoformat()
        elif isinstance(value, uuid.UUID):
            row[name] = str(value)
        elif isinstance(value, float):
            row[name] = round(value, 1)
    return row
