"""The monthly review (沟通复盘): one month of the company's promises, built once as plain data.

The page, ``hub report monthly`` and the mail to supervisors all render this one
:class:`MonthlyReview` (to HTML through one template, to PDF from the same fields), so the three
never disagree. Every figure comes from what the reports already keep: SLA outcomes and surveys
from the metric samples (on the day they count, docs/metrics.md), requirements from their own
rows, partners from the portal's scorecard. The previous month is measured the same way for the
trend arrows.

The plan's promises the review answers for: chat, phone and WeChat answered within 3 minutes,
e-mail (and the other written channels) within one business day, requirement feedback within 3
business days, a liaison's answer within 2 business hours, and the complaint ladder 1/3/5
business days with a resolution rate of at least 95 %.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.domain import OrganizationKind, RequirementStatus, Role, TicketEventKind
from hub.errors import Forbidden, InvalidInput
from hub.models import MetricSample, Organization, Requirement, Ticket, TicketEvent
from hub.portal import scorecard
from hub.reporting import dashboard
from hub.reporting.reports import OUTCOME

#: The plan's target for complaints resolved within the ladder (冲突分级处理).
ESCALATION_RESOLUTION_TARGET = 95.0
#: Breaches listed by how late they were, the latest first.
WORST_BREACHES = 10
#: Survey comments shown, newest first.
COMMENTS = 30
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Promise:
    """One promise's compliance in the month: ``key`` names its label in the catalogue."""

    key: str
    met: int
    breached: int
    active: int
    percent: float | None
    previous_percent: float | None


@dataclass(frozen=True)
class Breach:
    ticket_id: uuid.UUID
    ticket_number: int
    subject: str
    target: str
    channel: str | None
    due_at: datetime | None
    #: Business seconds past the promise (as the SLA engine counts them).
    late_seconds: float


@dataclass(frozen=True)
class Comment:
    ticket_id: uuid.UUID
    ticket_number: int
    rating: int
    comment: str
    answered_at: datetime


@dataclass(frozen=True)
class Satisfaction:
    sent: int
    responses: int
    #: Ratings of 4 or 5 among the answers.
    score_percent: float | None
    mean: float | None
    response_rate_percent: float | None
    previous_score_percent: float | None
    previous_response_rate_percent: float | None
    comments: tuple[Comment, ...]


@dataclass(frozen=True)
class Escalations:
    """Complaints on the ladder: ``resolved`` within it, ``failed`` past its last tier."""

    reached: tuple[int, int, int]
    resolved: int
    failed: int
    rate_percent: float | None
    previous_rate_percent: float | None
    target_percent: float = ESCALATION_RESOLUTION_TARGET

    @property
    def meets_target(self) -> bool | None:
        return None if self.rate_percent is None else self.rate_percent >= self.target_percent


@dataclass(frozen=True)
class Requirements:
    """Requirements recorded in the month and how far each got."""

    recorded: int
    delivered: int
    rejected: int
    open: int
    #: Delivered or confirmed, out of those recorded less the cancelled.
    fulfilment_percent: float | None
    previous_fulfilment_percent: float | None


@dataclass(frozen=True)
class Volumes:
    created: int
    resolved: int
    previous_created: int
    previous_resolved: int


@dataclass(frozen=True)
class PartnerCard:
    organization_id: uuid.UUID
    name: str
    measures: tuple[scorecard.Measure, ...]


@dataclass(frozen=True)
class MonthlyReview:
    month: date
    start: date
    end: date
    previous: date
    generated_at: datetime
    promises: tuple[Promise, ...]
    worst_breaches: tuple[Breach, ...]
    satisfaction: Satisfaction
    escalations: Escalations
    requirements: Requirements
    volumes: Volumes
    partners: tuple[PartnerCard, ...]

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def is_empty(self) -> bool:
        return not (
            self.volumes.created
            or self.volumes.resolved
            or any(p.met or p.breached for p in self.promises)
            or self.satisfaction.sent
        )


def parse_month(text: str) -> date:
    """``2026-11`` → the month's first day."""
    found = _MONTH.match(text.strip())
    if found is None:
        raise InvalidInput(detail="month must be YYYY-MM")
    return date(int(found[1]), int(found[2]), 1)


def month_bounds(first: date) -> tuple[date, date]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def last_full_month(today: date) -> date:
    return previous_month(today.replace(day=1))


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


#: The review's promises, in its order and under its own names: the dashboard's (one definition
#: of which samples each counts), less those the review shows elsewhere (portal, decisions).
REVIEWED = {
    "chat_response": "chat_response",
    "written_response": "email_response",
    "requirement_feedback": "requirement_feedback",
    "liaison": "liaison",
    "escalation_1": "escalation_1",
    "escalation_2": "escalation_2",
    "escalation_3": "escalation_3",
}
PROMISES = tuple(REVIEWED)


def _promise_of(target: str, channel: str | None) -> str | None:
    for key, shown in REVIEWED.items():
        promise = dashboard.PROMISE_KEYS[shown]
        if target in promise.targets and dashboard.channel_matches(promise, channel):
            return key
    return None


async def _outcomes(session: AsyncSession, start: date, end: date) -> dict[str, dict[str, int]]:
    """Met, breached and active per promise, as of now (an instance still active past its due
    instant is breached, as the summary reads it)."""
    s = MetricSample
    rows = await session.execute(
        sa.select(s.target, s.channel_kind, OUTCOME.label("outcome"), sa.func.count())
        .where(s.metric == "sla", s.day >= start, s.day <= end, s.outcome != "void")
        .group_by(s.target, s.channel_kind, OUTCOME)
    )
    found: dict[str, dict[str, int]] = {p: {"met": 0, "breached": 0, "active": 0} for p in PROMISES}
    for target, channel, outcome, n in rows:
        promise = _promise_of(target or "", channel)
        if promise is None:
            continue
        bucket = outcome if outcome in ("met", "breached") else "active"
        found[promise][bucket] += n
    return found


async def _worst(session: AsyncSession, start: date, end: date) -> tuple[Breach, ...]:
    s = MetricSample
    late = sa.func.coalesce(s.breach_by_seconds, 0.0)
    rows = await session.execute(
        sa.select(Ticket.id, Ticket.number, Ticket.subject, s.target, s.channel_kind, s.due_at, late)
        .join(Ticket, Ticket.id == s.ticket_id)
        .where(s.metric == "sla", s.day >= start, s.day <= end, OUTCOME == "breached")
        .order_by(late.desc(), s.due_at, s.id)
        .limit(WORST_BREACHES)
    )
    return tuple(
        Breach(ticket_id, number, subject, target or "", channel, due, float(seconds))
        for ticket_id, number, subject, target, channel, due, seconds in rows
    )


async def _csat_counts(session: AsyncSession, start: date, end: date) -> tuple[int, int, int, int]:
    """Surveys sent in the period, their answers, the good answers and the ratings' sum."""
    s = MetricSample
    row = (
        await session.execute(
            sa.select(
                sa.func.count().filter(s.metric == "csat_sent"),
                sa.func.count().filter(s.metric == "csat_response"),
                sa.func.count().filter(s.metric == "csat_response", s.rating >= 4),
                sa.func.coalesce(sa.func.sum(s.rating).filter(s.metric == "csat_response"), 0),
            ).where(s.metric.in_(("csat_sent", "csat_response")), s.day >= start, s.day <= end)
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3] or 0)


async def _comments(session: AsyncSession, start: datetime, end: datetime) -> tuple[Comment, ...]:
    """From the tickets' logs (a survey's answer and an imported one alike), newest first."""
    e = TicketEvent
    comment = e.data["comment"].astext
    rows = await session.execute(
        sa.select(Ticket.id, Ticket.number, e.data["rating"].astext, comment, e.at)
        .join(Ticket, Ticket.id == e.ticket_id)
        .where(e.kind == TicketEventKind.CSAT_RESPONSE, e.at >= start, e.at < end, comment.is_not(None))
        .order_by(e.at.desc(), e.id.desc())
        .limit(COMMENTS)
    )
    return tuple(
        Comment(ticket_id, number, int(rating or 0), text, at)
        for ticket_id, number, rating, text, at in rows
        if text and text.strip()
    )


def _escalations(outcomes: dict[str, dict[str, int]]) -> tuple[tuple[int, int, int], int, int]:
    """A tier's breach is the complaint reaching the next level; a met tier is a complaint resolved
    within it, so every complaint meets at most one tier, and one that breaches the last has failed
    the ladder (docs/metrics.md, *Escalation steps*)."""
    reached = (
        outcomes["escalation_1"]["breached"],
        outcomes["escalation_2"]["breached"],
        outcomes["escalation_3"]["breached"],
    )
    resolved = sum(outcomes[f"escalation_{n}"]["met"] for n in (1, 2, 3))
    return reached, resolved, outcomes["escalation_3"]["breached"]


async def _requirements(session: AsyncSession, start: datetime, end: datetime) -> tuple[int, int, int, int]:
    r = Requirement
    done = (RequirementStatus.DELIVERED, RequirementStatus.CONFIRMED)
    row = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.count().filter(r.status.in_(done)),
                sa.func.count().filter(r.status == RequirementStatus.REJECTED),
                sa.func.count().filter(r.status == RequirementStatus.CANCELLED),
            ).where(r.created_at >= start, r.created_at < end)
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3] or 0)


async def _volumes(session: AsyncSession, start: date, end: date) -> tuple[int, int]:
    s = MetricSample
    row = (
        await session.execute(
            sa.select(
                sa.func.count().filter(s.metric == "created"), sa.func.count().filter(s.metric == "resolved")
            ).where(s.metric.in_(("created", "resolved")), s.day >= start, s.day <= end)
        )
    ).one()
    return int(row[0]), int(row[1])


async def _partners(session: AsyncSession, now: datetime) -> tuple[PartnerCard, ...]:
    partners = await session.execute(
        sa.select(Organization.id, Organization.name)
        .where(Organization.kind == OrganizationKind.PARTNER)
        .order_by(Organization.name)
    )
    cards = []
    for organization_id, name in partners:
        measures = tuple([await measure(session, organization_id, now) for measure in scorecard.MEASURES])
        cards.append(PartnerCard(organization_id, name, measures))
    return tuple(cards)


def _instant(day: date, zone_offset: timedelta) -> datetime:
    """Midnight of ``day`` in China's time (the calendar the samples' days are on by default)."""
    return datetime.combine(day, time(), UTC) - zone_offset


#: Requirements and comments are counted by their instant, on China's wall clock like the samples.
CHINA_OFFSET = timedelta(hours=8)


async def build(session: AsyncSession, actor: Actor, month: date, *, now: datetime) -> MonthlyReview:
    """The review of ``month`` (its first day). Supervisors and admins (and the CLI and the worker)."""
    if actor.kind == "user" and actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden()
    start, end = month_bounds(month)
    before = previous_month(month)
    prev_start, prev_end = month_bounds(before)
    outcomes = await _outcomes(session, start, end)
    earlier = await _outcomes(session, prev_start, prev_end)
    promises = tuple(
        Promise(
            key,
            outcomes[key]["met"],
            outcomes[key]["breached"],
            outcomes[key]["active"],
            _percent(outcomes[key]["met"], outcomes[key]["met"] + outcomes[key]["breached"]),
            _percent(earlier[key]["met"], earlier[key]["met"] + earlier[key]["breached"]),
        )
        for key in PROMISES
    )
    sent, responses, good, ratings = await _csat_counts(session, start, end)
    prev_sent, prev_responses, prev_good, _ = await _csat_counts(session, prev_start, prev_end)
    satisfaction = Satisfaction(
        sent=sent,
        responses=responses,
        score_percent=_percent(good, responses),
        mean=round(ratings / responses, 2) if responses else None,
        response_rate_percent=_percent(responses, sent),
        previous_score_percent=_percent(prev_good, prev_responses),
        previous_response_rate_percent=_percent(prev_responses, prev_sent),
        comments=await _comments(
            session, _instant(start, CHINA_OFFSET), _instant(end + timedelta(days=1), CHINA_OFFSET)
        ),
    )
    reached, resolved, failed = _escalations(outcomes)
    _, prev_resolved, prev_failed = _escalations(earlier)
    escalations = Escalations(
        reached=reached,
        resolved=resolved,
        failed=failed,
        rate_percent=_percent(resolved, resolved + failed),
        previous_rate_percent=_percent(prev_resolved, prev_resolved + prev_failed),
    )
    recorded, delivered, rejected, cancelled = await _requirements(
        session, _instant(start, CHINA_OFFSET), _instant(end + timedelta(days=1), CHINA_OFFSET)
    )
    p_recorded, p_delivered, _, p_cancelled = await _requirements(
        session, _instant(prev_start, CHINA_OFFSET), _instant(prev_end + timedelta(days=1), CHINA_OFFSET)
    )
    requirements = Requirements(
        recorded=recorded,
        delivered=delivered,
        rejected=rejected,
        open=recorded - delivered - rejected - cancelled,
        fulfilment_percent=_percent(delivered, recorded - cancelled),
        previous_fulfilment_percent=_percent(p_delivered, p_recorded - p_cancelled),
    )
    created, resolved_tickets = await _volumes(session, start, end)
    prev_created, prev_resolved_tickets = await _volumes(session, prev_start, prev_end)
    return MonthlyReview(
        month=month,
        start=start,
        end=end,
        previous=before,
        generated_at=now,
        promises=promises,
        worst_breaches=await _worst(session, start, end),
        satisfaction=satisfaction,
        escalations=escalations,
        requirements=requirements,
        volumes=Volumes(created, resolved_tickets, prev_created, prev_resolved_tickets),
        partners=await _partners(session, now),
    )
