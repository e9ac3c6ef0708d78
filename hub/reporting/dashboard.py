"""The supervisors' dashboard: "are we keeping our promises?" over the metric samples and the live
SLA clocks.

Each promise is a set of SLA target instances (``metric_samples`` rows of metric ``sla``), or,
for the promises kept outside tickets, a count over their own records: the partners' date
proposals (``2bh``), their 8D steps, and decisions read within 24 hours and answered within
``3bd``. Compliance is ``met ÷ (met + breached)`` as in the reports (docs/metrics.md), read by
:func:`hub.reporting.reports.summary`, so the dashboard, the summary and the exports agree.

Who may open which view (:func:`may_view_team` and friends): administrators everything, a
supervisor the teams they belong to, lead or head, an agent only their own numbers and the key
clients they manage. The monthly review may call the same functions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.decisions import decisions
from hub.domain import ACTIVE_STATUSES, STAFF_ROLES, OrganizationKind, Role, Tier
from hub.errors import Forbidden, NotFound
from hub.models import (
    DateProposal,
    MetricSample,
    Organization,
    QualityCase,
    QualityStep,
    Team,
    Ticket,
    TicketSla,
    User,
)
from hub.portal import quality
from hub.portal.states import ProposalStatus
from hub.portal.terms import QualityCaseStatus
from hub.reporting import reports
from hub.reporting.reports import OUTCOME, Filters

#: Channels whose promise is the chat one (3 business minutes); every other channel has e-mail's.
CHAT_CHANNELS = ("webchat", "wechat", "phone")
#: How far ahead a running target counts as "breaching soon".
SOON = timedelta(hours=1)
#: Rows in each of the breaching-soon and breached lists.
LIST_LIMIT = 15


@dataclass(frozen=True)
class Promise:
    """One promise the company made, and where its instances are counted."""

    key: str
    #: ``samples``: SLA target instances; else the records it is kept on (proposals, quality,
    #: decisions_read, decisions_feedback).
    source: str = "samples"
    targets: tuple[str, ...] = ()
    #: Only these channels (``chat``) or every channel but these (``not_chat``); ``None``: all.
    channels: str | None = None


PROMISES: tuple[Promise, ...] = (
    Promise("chat_response", targets=("first_response", "next_response"), channels="chat"),
    Promise("email_response", targets=("first_response", "next_response"), channels="not_chat"),
    Promise("requirement_feedback", targets=("requirement_feedback",)),
    Promise("escalation_1", targets=("escalation_1",)),
    Promise("escalation_2", targets=("escalation_2",)),
    Promise("escalation_3", targets=("escalation_3",)),
    Promise("liaison", targets=("liaison",)),
    Promise("resolution", targets=("resolution",)),
    Promise("proposals", source="proposals"),
    Promise("quality_steps", source="quality"),
    Promise("decisions_read", source="decisions_read"),
    Promise("decisions_feedback", source="decisions_feedback"),
)
#: Every first and next response on any channel: the daily line's and the breakdowns' figure.
RESPONSES = Promise("responses", targets=("first_response", "next_response"))
PROMISE_KEYS = {p.key: p for p in (*PROMISES, RESPONSES)}


@dataclass(frozen=True)
class Count:
    met: int = 0
    breached: int = 0
    active: int = 0

    @property
    def percent(self) -> float | None:
        decided = self.met + self.breached
        return round(100.0 * self.met / decided, 1) if decided else None

    def __add__(self, other: Count) -> Count:
        return Count(self.met + other.met, self.breached + other.breached, self.active + other.active)


@dataclass(frozen=True)
class PromiseRow:
    promise: Promise
    now: Count
    before: Count

    @property
    def change(self) -> float | None:
        """Percentage points against the previous period of the same length."""
        if self.now.percent is None or self.before.percent is None:
            return None
        return round(self.now.percent - self.before.percent, 1)

    @property
    def empty(self) -> bool:
        return not (
            self.now.met or self.now.breached or self.now.active or self.before.met or self.before.breached
        )


def previous(filters: Filters) -> Filters:
    """The period of the same length just before ``filters``' (the trend's comparison)."""
    length = filters.end - filters.start + timedelta(days=1)
    return replace(filters, start=filters.start - length, end=filters.end - length)


def instants(filters: Filters, zone: tzinfo) -> tuple[datetime, datetime]:
    """The period's days as instants in the viewer's zone: ``[first day 00:00, day after last)``."""
    return (
        datetime.combine(filters.start, time(), zone),
        datetime.combine(filters.end + timedelta(days=1), time(), zone),
    )


def channel_matches(promise: Promise, channel: str | None) -> bool:
    if promise.channels == "chat":
        return channel in CHAT_CHANNELS
    if promise.channels == "not_chat":
        return channel not in CHAT_CHANNELS
    return True


def sample_counts(report: dict[str, Any], promise: Promise) -> Count:
    """A promise's instances out of a summary grouped by channel (``by="channel"``)."""
    total = Count()
    for group in report["groups"]:
        if not channel_matches(promise, group["key"]):
            continue
        for target in promise.targets:
            entry = group["compliance"].get(target)
            if entry:
                total += Count(entry["met"], entry["breached"], entry["active"])
    return total


def others_apply(filters: Filters) -> bool:
    """The promises kept outside tickets have no channel, agent, priority nor playbook: under such
    a filter they are left out rather than shown unfiltered."""
    return not (filters.channel or filters.agent_id or filters.priority or filters.playbook)


async def proposal_counts(
    session: AsyncSession, since: datetime, until: datetime, now: datetime, organization_id: uuid.UUID | None
) -> Count:
    """Partners' date proposals falling due in the period: decided within ``2bh`` (met), decided late
    or still undecided past due (breached), undecided and not yet due (active). An applied or
    superseded proposal asked nothing of the manager."""
    p = DateProposal
    decided = p.status.in_([ProposalStatus.ACCEPTED, ProposalStatus.REJECTED])
    query = sa.select(
        sa.func.count().filter(decided, p.decided_at <= p.due_at),
        sa.func.count().filter(
            sa.or_(
                sa.and_(decided, p.decided_at > p.due_at),
                sa.and_(p.status == ProposalStatus.PROPOSED, p.due_at < now),
            )
        ),
        sa.func.count().filter(p.status == ProposalStatus.PROPOSED, p.due_at >= now),
    ).where(p.due_at >= since, p.due_at < until)
    if organization_id is not None:
        query = query.where(p.organization_id == organization_id)
    met, breached, active = (await session.execute(query)).one()
    return Count(int(met), int(breached), int(active))


async def quality_counts(
    session: AsyncSession, since: datetime, until: datetime, now: datetime, organization_id: uuid.UUID | None
) -> Count:
    """Partners' 8D steps falling due in the period (cases not cancelled): late as the scorecard
    reads it (:func:`hub.portal.quality.is_late`), else met once answered, else still running."""
    s = QualityStep
    late = quality.is_late(s)  # type: ignore[arg-type]
    query = (
        sa.select(
            sa.func.count().filter(sa.not_(late), s.answered_at.is_not(None)),
            sa.func.count().filter(late),
            sa.func.count().filter(sa.not_(late), s.answered_at.is_(None)),
        )
        .select_from(s)
        .join(QualityCase, QualityCase.id == s.case_id)
        .where(QualityCase.status != QualityCaseStatus.CANCELLED, s.due_at >= since, s.due_at < until)
    )
    if organization_id is not None:
        query = query.where(s.organization_id == organization_id)
    met, breached, active = (await session.execute(query)).one()
    return Count(int(met), int(breached), int(active))


async def decision_counts(
    session: AsyncSession, since: datetime, until: datetime, now: datetime, team_id: uuid.UUID | None
) -> tuple[Count, Count]:
    """Decisions published in the period: read within 24 hours, answered within ``3bd``."""
    found = await decisions.lateness(session, since=since, until=until, now=now, team_id=team_id)
    read_pending = found.recipients - found.read_on_time - found.read_late - found.unread_overdue
    read = Count(found.read_on_time, found.read_late + found.unread_overdue, max(read_pending, 0))
    feedback = Count(found.feedback_on_time, found.feedback_late + found.feedback_overdue, 0)
    return read, feedback


async def other_counts(
    session: AsyncSession, filters: Filters, zone: tzinfo, now: datetime
) -> dict[str, Count]:
    """The promises kept outside tickets, over the period's instants in ``zone``."""
    if not others_apply(filters):
        return {}
    since, until = instants(filters, zone)
    found = {}
    if filters.team_id is None:
        found["proposals"] = await proposal_counts(session, since, until, now, filters.organization_id)
        found["quality_steps"] = await quality_counts(session, since, until, now, filters.organization_id)
    if filters.organization_id is None:
        read, feedback = await decision_counts(session, since, until, now, filters.team_id)
        found["decisions_read"], found["decisions_feedback"] = read, feedback
    return found


async def promises(
    session: AsyncSession, actor: Actor, filters: Filters, zone: tzinfo, now: datetime
) -> tuple[list[PromiseRow], dict[str, Any]]:
    """Compliance per promise, this period and the one before, and this period's summary (its
    durations, CSAT and volumes) for the rest of the page."""
    report = await reports.summary(session, actor, replace(filters, by="channel"))
    before = await reports.summary(session, actor, replace(previous(filters), by="channel"), durations=False)
    others = await other_counts(session, reports.scoped(actor, filters), zone, now)
    others_before = await other_counts(session, reports.scoped(actor, previous(filters)), zone, now)
    rows = []
    for promise in PROMISES:
        if promise.source == "samples":
            rows.append(PromiseRow(promise, sample_counts(report, promise), sample_counts(before, promise)))
        elif promise.key in others:
            rows.append(PromiseRow(promise, others[promise.key], others_before[promise.key]))
    return rows, report


# -- the live side: backlog and the SLA lists ------------------------------------------------------


@dataclass(frozen=True)
class LiveTicket:
    id: uuid.UUID
    number: int
    subject: str
    channel: str
    due_at: datetime | None
    assignee: str | None


def _ticket_where(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """The filters a live ticket can be held to: its current team, assignee, channel, client and
    priority (a playbook filter applies to the measured samples only)."""
    t = Ticket
    clauses: list[sa.ColumnElement[bool]] = [t.status.in_(list(ACTIVE_STATUSES)), t.merged_into_id.is_(None)]
    if filters.team_id:
        clauses.append(t.team_id == filters.team_id)
    if filters.agent_id:
        clauses.append(t.assignee_id == filters.agent_id)
    if filters.channel:
        clauses.append(t.channel_kind == filters.channel)
    if filters.organization_id:
        clauses.append(t.organization_id == filters.organization_id)
    if filters.priority:
        clauses.append(t.priority == filters.priority)
    return clauses


async def backlog(session: AsyncSession, actor: Actor, filters: Filters) -> dict[str, int]:
    """Open tickets now, by status (new, open, pending) and in total."""
    filters = reports.scoped(actor, filters)
    rows = await session.execute(
        sa.select(Ticket.status, sa.func.count()).where(*_ticket_where(filters)).group_by(Ticket.status)
    )
    found = {str(status): int(n) for status, n in rows}
    counts = {status: found.get(status, 0) for status in ("new", "open", "pending")}
    return {**counts, "total": sum(counts.values())}


async def sla_lists(
    session: AsyncSession, actor: Actor, filters: Filters, now: datetime
) -> tuple[list[LiveTicket], list[LiveTicket], int, int]:
    """Open tickets whose running target falls due within :data:`SOON` (earliest first), and those
    breached (a target of the cycle missed, or one running past due; longest overdue first), with
    how many there are of each."""
    filters = reports.scoped(actor, filters)
    due = TicketSla.due_at()
    where = _ticket_where(filters)
    soon = sa.and_(due >= now, due < now + SOON)
    late = sa.or_(TicketSla.breached.is_(True), due < now)

    async def listed(condition: sa.ColumnElement[bool], order: Any) -> tuple[list[LiveTicket], int]:
        base = sa.select(Ticket.id).join(TicketSla, TicketSla.ticket_id == Ticket.id).where(*where, condition)
        count = await session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
        rows = await session.execute(
            sa.select(Ticket.id, Ticket.number, Ticket.subject, Ticket.channel_kind, due, User.name)
            .join(TicketSla, TicketSla.ticket_id == Ticket.id)
            .outerjoin(User, User.id == Ticket.assignee_id)
            .where(*where, condition)
            .order_by(order, Ticket.number)
            .limit(LIST_LIMIT)
        )
        return [LiveTicket(r[0], r[1], r[2], str(r[3]), r[4], r[5]) for r in rows], int(count or 0)

    breaching, soon_count = await listed(soon, due.asc())
    breached, late_count = await listed(late, sa.func.coalesce(due, TicketSla.updated_at).asc())
    return breaching, breached, soon_count, late_count


# -- trends --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayPoint:
    day: date
    #: Response compliance that day (first and next response, every channel).
    percent: float | None
    responses: int


async def daily_compliance(session: AsyncSession, actor: Actor, filters: Filters) -> list[DayPoint]:
    """Per day of the period, from the rollups: the share of first and next responses on time."""
    found = await reports.trend(session, actor, replace(filters, by=None), "day")
    by_day = {date.fromisoformat(p["period"]): p for p in found["periods"]}
    points = []
    day = filters.start
    while day <= filters.end:
        period = by_day.get(day)
        count = Count()
        if period:
            for target in ("first_response", "next_response"):
                entry = period["compliance"][target]
                count += Count(entry["met"], entry["breached"], entry["active"])
        points.append(DayPoint(day, count.percent, count.met + count.breached))
        day += timedelta(days=1)
    return points


# -- drill-down ----------------------------------------------------------------------------------

OUTCOMES = ("met", "breached", "active")


def drill_query(
    filters: Filters,
    *,
    metric: str | None = None,
    promise: str | None = None,
    outcome: str | None = None,
) -> sa.Select[Any]:
    """The samples behind a dashboard number: the reports' drill-down (:func:`reports.samples_query`)
    with the ticket's id (for its page and its messages' anchors), one promise's target instances
    and one outcome as of now (``active`` takes paused ones too, as the counts do)."""
    s = MetricSample
    query = reports.samples_query(filters, metric).add_columns(
        Ticket.id.label("ticket_id"),
        s.due_at,
    )
    if promise is not None:
        found = PROMISE_KEYS.get(promise)
        if found is None or found.source != "samples":
            raise NotFound(what="promise")
        query = query.where(s.metric == "sla", s.target.in_(found.targets))
        if found.channels == "chat":
            query = query.where(s.channel_kind.in_(CHAT_CHANNELS))
        elif found.channels == "not_chat":
            query = query.where(sa.or_(s.channel_kind.is_(None), s.channel_kind.not_in(CHAT_CHANNELS)))
    if outcome == "active":
        query = query.where(OUTCOME.in_(["active", "paused"]))
    elif outcome is not None:
        query = query.where(OUTCOME.in_([outcome]))
    return query


async def drill(
    session: AsyncSession,
    actor: Actor,
    filters: Filters,
    *,
    metric: str | None = None,
    promise: str | None = None,
    outcome: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the samples and how many there are in all."""
    filters = reports.scoped(actor, filters)
    query = drill_query(filters, metric=metric, promise=promise, outcome=outcome)
    total = await session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    rows = await session.execute(query.limit(limit).offset(offset))
    return [dict(row._mapping) for row in rows], int(total or 0)


# -- who may open which view ----------------------------------------------------------------------


def _is_admin(actor: Actor) -> bool:
    return actor.kind != "user" or actor.role is Role.ADMIN


async def may_view_team(session: AsyncSession, actor: Actor, team_id: uuid.UUID) -> Team:
    """Administrators every team; a supervisor the teams they belong to, lead or head."""
    team = await session.get(Team, team_id)
    if team is None or (actor.kind == "user" and not actor.is_staff):
        raise NotFound(what="team")
    if _is_admin(actor):
        return team
    if actor.role is Role.SUPERVISOR and actor.user_id in (team.lead_id, team.head_id):
        return team
    if actor.role is Role.SUPERVISOR:
        member = await session.scalar(sa.select(User.team_id).where(User.id == actor.user_id))
        if member == team.id:
            return team
    raise Forbidden()


async def may_view_agent(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    """An agent their own numbers; a supervisor those of the people of their teams; an
    administrator everyone's."""
    person = await session.get(User, user_id)
    if person is None or person.role not in STAFF_ROLES or (actor.kind == "user" and not actor.is_staff):
        raise NotFound(what="user")
    if _is_admin(actor) or actor.user_id == person.id:
        return person
    if actor.role is Role.SUPERVISOR and person.team_id is not None:
        await may_view_team(session, actor, person.team_id)
        return person
    raise Forbidden()


async def may_view_client(session: AsyncSession, actor: Actor, organization_id: uuid.UUID) -> Organization:
    """Supervisors and administrators every client; an agent the clients they manage or back up."""
    org = await session.get(Organization, organization_id)
    if org is None or (actor.kind == "user" and not actor.is_staff):
        raise NotFound(what="organization")
    if _is_admin(actor) or actor.role is Role.SUPERVISOR:
        return org
    if actor.user_id in (org.account_manager_id, org.backup_manager_id):
        return org
    raise Forbidden()


async def visible_teams(session: AsyncSession, actor: Actor) -> list[Team]:
    """The teams whose pages the actor may open, by name."""
    teams = list(await session.scalars(sa.select(Team).order_by(Team.name)))
    if _is_admin(actor):
        return teams
    if actor.role is not Role.SUPERVISOR:
        return []
    member = await session.scalar(sa.select(User.team_id).where(User.id == actor.user_id))
    return [t for t in teams if t.id == member or actor.user_id in (t.lead_id, t.head_id)]


async def key_clients(session: AsyncSession, actor: Actor) -> list[Organization]:
    """The key (core tier) clients whose account-manager view the actor may open."""
    query = (
        sa.select(Organization)
        .where(Organization.tier == Tier.CORE, Organization.kind == OrganizationKind.CLIENT)
        .order_by(Organization.name)
    )
    if not (_is_admin(actor) or actor.role is Role.SUPERVISOR):
        query = query.where(
            sa.or_(
                Organization.account_manager_id == actor.user_id,
                Organization.backup_manager_id == actor.user_id,
            )
        )
    return list(await session.scalars(query))


# -- the page as a table (its exports) -------------------------------------------------------------

#: The duration metrics the dashboard shows, in its order.
SHOWN_DURATIONS = ("first_response", "human_pickup", "reply_time", "resolution_full")
SAMPLE_COLUMNS = (*reports.SAMPLE_FIELDS, "ticket_id", "due_at")


def table(rows: list[PromiseRow], report: dict[str, Any], live: dict[str, int]) -> list[list[Any]]:
    """The dashboard's figures as the export writes them: the same numbers as the page."""
    out: list[list[Any]] = [["promise", "met", "breached", "active", "percent", "previous_percent", "change"]]
    for row in rows:
        out.append(
            [
                row.promise.key,
                row.now.met,
                row.now.breached,
                row.now.active,
                row.now.percent,
                row.before.percent,
                row.change,
            ]
        )
    out += [[], ["metric", "n", "mean", "median", "p90", "max", "within_target_percent"]]
    total = report["total"]
    for metric in SHOWN_DURATIONS:
        d = total["durations"][metric]
        out.append([metric, d["n"], d["mean"], d["median"], d["p90"], d["max"], d["within_target_percent"]])
    csat = total["csat"]
    out += [[], ["csat_sent", "csat_responses", "score_percent", "mean", "response_rate_percent"]]
    out.append(
        [csat["sent"], csat["responses"], csat["score_percent"], csat["mean"], csat["response_rate_percent"]]
    )
    volumes = total["volumes"]
    out += [[], ["created", "resolved", "reopens", "reopen_rate_percent"]]
    out.append([volumes["created"], volumes["resolved"], volumes["reopens"], volumes["reopen_rate_percent"]])
    out += [[], ["backlog_new", "backlog_open", "backlog_pending", "backlog_total"]]
    out.append([live["new"], live["open"], live["pending"], live["total"]])
    return out


async def sample_stream(
    session: AsyncSession,
    actor: Actor,
    filters: Filters,
    *,
    metric: str | None = None,
    promise: str | None = None,
    outcome: str | None = None,
) -> list[list[Any]]:
    """Every sample behind a number (no cap), in :data:`SAMPLE_COLUMNS` order."""
    filters = reports.scoped(actor, filters)
    query = drill_query(filters, metric=metric, promise=promise, outcome=outcome)
    stream = await session.stream(query.execution_options(yield_per=5000))
    return [[*row] async for row in stream]
