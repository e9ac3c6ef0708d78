"""The metric samples of one ticket, read from its event log (docs/metrics.md).

``derive(log, context)`` is a pure function of the log, the ticket's calendar and its SLA
targets, so the projection, the full rebuild and the tests compute samples the same way. The walk
follows the SLA clocks' reading of the log (``hub.sla.clock``): the same cycles, the same
``waiting_since``, only ``human_response`` answers (a reply whose delivery failed for good is left
out of the log before it gets here), so a report and the ticket's SLA panel never disagree on what
a response is.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from hub.calendars.arithmetic import business_between
from hub.calendars.durations import DurationSpec
from hub.calendars.model import Calendar
from hub.domain import TicketEventKind
from hub.sla.clock import TargetClock
from hub.sla.policy_choice import SlaTargets
from hub.sla.targets import ClockStatus, Target

K = TicketEventKind

#: Duration metrics and the SLA target their "% within target" is measured against.
DURATION_TARGETS: dict[str, Target] = {
    "first_response": Target.FIRST_RESPONSE,
    "human_pickup": Target.FIRST_RESPONSE,
    "reply_time": Target.NEXT_RESPONSE,
    "resolution_first": Target.RESOLUTION,
    "resolution_full": Target.RESOLUTION,
    "resolution_cycle": Target.RESOLUTION,
    "resolution_active": Target.RESOLUTION,
}
DURATION_METRICS = tuple(DURATION_TARGETS)
#: Counted, not measured.
COUNT_METRICS = (
    "created",
    "resolved",
    "bot_resolved",
    "reopen",
    "csat_sent",
    "csat_response",
    "csat_not_sent",
)
#: A rating at or above this is a satisfied client (4-5 on 1-5, Zendesk's and Chatwoot's reading).
GOOD_RATING = 4


@dataclass(frozen=True)
class LogEvent:
    """One row of the ticket's log as the walk needs it."""

    id: int
    kind: str
    at: datetime
    actor_user_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Feedback:
    """A client requirement's 3-business-day feedback promise, from the requirement's own log."""

    requirement_id: uuid.UUID
    recorded_at: datetime
    #: When feedback was given (``late`` says whether after the due instant), or ``None``.
    given_at: datetime | None
    late: bool
    breached_at: datetime | None
    owner_id: uuid.UUID | None = None


@dataclass(frozen=True)
class TicketContext:
    """What the walk needs besides the log: the calendar, the targets, the ticket's dimensions."""

    ticket_id: uuid.UUID
    calendar: Calendar
    targets: SlaTargets
    channel_kind: str
    team_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    account_manager_id: uuid.UUID | None = None
    #: The priority before any ``priority_changed`` of the log (the ticket's own when none).
    priority: str | None = None
    #: The SLA clocks of the ticket (``hub.sla.clock.compute_clocks``), for the compliance samples.
    clocks: Sequence[TargetClock] = ()
    feedback: Sequence[Feedback] = ()
    now: datetime | None = None


@dataclass(frozen=True)
class Sample:
    metric: str
    key: str
    bucket_at: datetime
    day: date
    calendar: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    calendar_seconds: float | None = None
    business_seconds: float | None = None
    within_target: bool | None = None
    start_event_id: int | None = None
    end_event_id: int | None = None
    start_message_id: uuid.UUID | None = None
    end_message_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    channel_kind: str | None = None
    organization_id: uuid.UUID | None = None
    account_manager_id: uuid.UUID | None = None
    priority: str | None = None
    playbook_id: str | None = None
    target: str | None = None
    outcome: str | None = None
    due_at: datetime | None = None
    breach_by_seconds: float | None = None
    rating: int | None = None

    def identity(self) -> tuple[Any, ...]:
        """What makes it the same measurement: a sample whose identity did not change keeps the
        values it was first stored with (frozen attribution and calendar)."""
        return (
            self.metric,
            self.key,
            self.started_at,
            self.ended_at,
            self.bucket_at,
            self.start_event_id,
            self.end_event_id,
            self.outcome,
            self.due_at,
            self.rating,
        )


@dataclass(frozen=True)
class _Point:
    """An instant of the log that bounds a sample: when, which event, which message."""

    at: datetime
    event_id: int | None = None
    message_id: uuid.UUID | None = None
    channel_kind: str | None = None


@dataclass
class _Dims:
    assignee: uuid.UUID | None = None
    team: uuid.UUID | None = None
    priority: str | None = None
    playbook: str | None = None


def _uuid(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class _Walk:
    def __init__(self, context: TicketContext) -> None:
        self.c = context
        self.calendar = context.calendar
        self.samples: list[Sample] = []
        self.dims = _Dims(team=context.team_id, priority=context.priority)
        self.created: _Point | None = None
        self.cycle = 1
        self.open = True
        self.cycle_start: _Point | None = None
        self.cycle_has_response = False
        self.first_done = False
        self.waiting: _Point | None = None
        self.assignee_at_wait: uuid.UUID | None = None
        self.handoff: _Point | None = None
        self.assigned_at: dict[uuid.UUID, _Point] = {}
        self.last_resolved: _Point | None = None
        self.resolutions = 0
        self.pause_on: datetime | None = None
        self.pauses: list[tuple[datetime, datetime]] = []
        self.merged = False
        self.survey: _Point | None = None
        self.survey_answered = False

    # -- measuring ---------------------------------------------------------------------------

    def _day(self, at: datetime) -> date:
        return at.astimezone(self.calendar.zone).date()

    def _within(self, metric: str, calendar: float, business: float) -> bool | None:
        spec: DurationSpec | None = self.c.targets.spec(DURATION_TARGETS[metric])
        if spec is None:
            return None
        limit = spec.length(self.calendar.business_day).total_seconds()
        return (business if spec.business else calendar) <= limit

    def _paused_within(self, start: datetime, end: datetime) -> tuple[float, float]:
        calendar = business = 0.0
        pauses = [*self.pauses, *([(self.pause_on, end)] if self.pause_on is not None else [])]
        for on, off in pauses:
            lo, hi = max(on, start), min(off, end)
            if hi > lo:
                calendar += (hi - lo).total_seconds()
                business += business_between(self.calendar, lo, hi).total_seconds()
        return calendar, business

    def duration(
        self,
        metric: str,
        key: str,
        start: _Point,
        end: _Point,
        *,
        agent: uuid.UUID | None = None,
        assignee: uuid.UUID | None = None,
        channel: str | None = None,
        active: bool = False,
    ) -> None:
        calendar = (end.at - start.at).total_seconds()
        business = business_between(self.calendar, start.at, end.at).total_seconds()
        if active:
            paused_calendar, paused_business = self._paused_within(start.at, end.at)
            calendar, business = calendar - paused_calendar, business - paused_business
        self.samples.append(
            self._sample(
                metric,
                key,
                end.at,
                started_at=start.at,
                ended_at=end.at,
                calendar_seconds=calendar,
                business_seconds=business,
                within_target=self._within(metric, calendar, business),
                start_event_id=start.event_id,
                end_event_id=end.event_id,
                start_message_id=start.message_id,
                end_message_id=end.message_id,
                agent_id=agent,
                assignee_id=assignee,
                channel_kind=channel,
            )
        )

    def _sample(self, metric: str, key: str, bucket_at: datetime, **values: Any) -> Sample:
        values.setdefault("assignee_id", self.dims.assignee)
        values.setdefault("channel_kind", None)
        if values["channel_kind"] is None:
            values["channel_kind"] = self.c.channel_kind
        return Sample(
            metric=metric,
            key=key,
            bucket_at=bucket_at,
            day=self._day(bucket_at),
            calendar=self.calendar.name,
            team_id=self.dims.team,
            organization_id=self.c.organization_id,
            account_manager_id=self.c.account_manager_id,
            priority=self.dims.priority,
            playbook_id=self.dims.playbook,
            **values,
        )

    def count(self, metric: str, key: str, point: _Point, **values: Any) -> None:
        self.samples.append(
            self._sample(
                metric,
                key,
                point.at,
                ended_at=point.at,
                end_event_id=point.event_id,
                end_message_id=point.message_id,
                **values,
            )
        )

    # -- the log -----------------------------------------------------------------------------

    def apply(self, event: LogEvent) -> None:
        at = event.at.astimezone(UTC)
        point = _Point(at, event.id, event.message_id, event.data.get("channel_kind"))
        kind = event.kind
        if self.created is None:
            self.created = point
            self.cycle_start = point
            if kind != K.CREATED and not self.merged:
                self.count("created", "ticket", point)
        if kind == K.CREATED:
            if not self.merged and not any(s.metric == "created" for s in self.samples):
                self.count("created", "ticket", point)
        elif kind == K.CUSTOMER_MESSAGE:
            self._customer_message(point)
        elif kind == K.HUMAN_RESPONSE:
            self._response(point, _uuid(event.actor_user_id))
        elif kind == K.ASSIGNED:
            assignee = _uuid(event.data.get("assignee_id"))
            self.dims.assignee = assignee
            if "team_id" in event.data:
                self.dims.team = _uuid(event.data.get("team_id"))
            if assignee is not None:
                self.assigned_at[assignee] = point
        elif kind == K.UNASSIGNED:
            self.dims.assignee = None
        elif kind == K.PRIORITY_CHANGED:
            self.dims.priority = (
                str(event.data.get("value")) if event.data.get("value") else self.dims.priority
            )
        elif kind == K.PLAYBOOK_STARTED:
            self.dims.playbook = event.data.get("playbook") or self.dims.playbook
        elif kind == K.BOT_HANDOFF:
            if self.open:
                self.handoff = point
        elif kind == K.PENDING_ON:
            if self.open and self.pause_on is None:
                self.pause_on = at
        elif kind == K.PENDING_OFF:
            self._resume(at)
        elif kind in (K.RESOLVED, K.CLOSED):
            self._resolved(point, _uuid(event.actor_user_id))
        elif kind == K.MERGED:
            self.merged = True
            self._end_cycle(at)
        elif kind == K.REOPENED:
            if not self.open:
                self._reopen(point)
        elif kind == K.CSAT_SENT:
            # A survey is keyed by its instant: the same send logged twice (an imported history
            # listing it twice) is one survey, not a second sample under the same key.
            if self.survey is not None and self.survey.at == at:
                return
            self.survey, self.survey_answered = point, False
            self.count("csat_sent", f"{at:%Y%m%dT%H%M%S.%f}", point, channel_kind=event.data.get("channel"))
        elif kind == K.CSAT_RESPONSE:
            self._rating(point, event.data.get("rating"))
        elif kind == K.CSAT_NOT_SENT:
            key = f"{at:%Y%m%dT%H%M%S.%f}"
            if any(s.metric == "csat_not_sent" and s.key == key for s in self.samples):
                return
            self.count("csat_not_sent", key, point, outcome=str(event.data.get("reason")))

    def _customer_message(self, point: _Point) -> None:
        if not self.open:
            self._reopen(point)
        if self.waiting is None:
            self.waiting = point
            self.assignee_at_wait = self.dims.assignee

    def _reopen(self, point: _Point) -> None:
        previous = self.last_resolved
        self.open = True
        self.cycle += 1
        self.cycle_start = point
        self.cycle_has_response = False
        self.handoff = None
        self.assigned_at.clear()
        self.count("reopen", f"cycle:{self.cycle}", point, started_at=previous.at if previous else None)

    def _response(self, point: _Point, agent: uuid.UUID | None) -> None:
        if not self.open:
            return
        waiting = self.waiting
        self.cycle_has_response = True
        if waiting is not None:
            channel = waiting.channel_kind
            if not self.first_done:
                self.first_done = True
                self.duration(
                    "first_response", "ticket", waiting, point, agent=agent,
                    assignee=self.assignee_at_wait, channel=channel,
                )  # fmt: skip
                pickup = [p for p in (self.handoff, self.assigned_at.get(agent) if agent else None) if p]
                start = max(pickup, key=lambda p: p.at) if pickup else waiting
                self.duration(
                    "human_pickup", "ticket", start, point, agent=agent,
                    assignee=self.assignee_at_wait, channel=channel,
                )  # fmt: skip
            else:
                self.duration(
                    "reply_time", self._reply_key(waiting), waiting, point, agent=agent,
                    assignee=self.assignee_at_wait, channel=channel,
                )  # fmt: skip
        self.waiting = None

    def _reply_key(self, waiting: _Point) -> str:
        """A reply time is keyed by the instant the client began to wait; two waits that began at
        one instant (a client writing again the moment a reply went out, in a log of whole
        minutes) are told apart by the second one's event, so each keeps a sample of its own."""
        key = f"{waiting.at:%Y%m%dT%H%M%S.%f}"
        if any(s.metric == "reply_time" and s.key == key for s in self.samples):
            return f"{key}#{waiting.event_id}"
        return key

    def _resume(self, at: datetime) -> None:
        if self.pause_on is not None:
            self.pauses.append((self.pause_on, at))
            self.pause_on = None

    def _end_cycle(self, at: datetime) -> None:
        self._resume(at)
        self.waiting = None
        self.open = False

    def _resolved(self, point: _Point, agent: uuid.UUID | None) -> None:
        if not self.open:
            return
        self._end_cycle(point.at)
        created, start = self.created, self.cycle_start
        assert created is not None and start is not None
        self.resolutions += 1
        self.last_resolved = point
        if self.resolutions == 1:
            self.duration("resolution_first", "ticket", created, point, agent=agent)
        self.duration("resolution_cycle", f"cycle:{self.cycle}", start, point, agent=agent)
        if not self.merged:
            self.count("resolved", f"cycle:{self.cycle}", point, agent_id=agent)
            if not self.cycle_has_response and agent is None:  # no human answered nor resolved it
                self.count("bot_resolved", f"cycle:{self.cycle}", point, agent_id=agent)

    def _rating(self, point: _Point, rating: Any) -> None:
        survey = self.survey
        if survey is None or self.survey_answered or not isinstance(rating, int) or not 1 <= rating <= 5:
            return
        self.survey_answered = True
        self.samples.append(
            self._sample(
                "csat_response",
                f"{survey.at:%Y%m%dT%H%M%S.%f}",
                survey.at,  # by the send: the rate and the score count the same surveys
                started_at=survey.at,
                ended_at=point.at,
                start_event_id=survey.event_id,
                end_event_id=point.event_id,
                rating=rating,
            )
        )

    def finish(self) -> list[Sample]:
        last, created = self.last_resolved, self.created
        if last is not None and created is not None:
            self.duration("resolution_full", "ticket", created, last, agent=None)
            self.duration("resolution_active", "ticket", created, last, active=True)
        return self.samples


def _sla_samples(walk: _Walk, context: TicketContext) -> list[Sample]:
    """Compliance per target instance: met, breached, active or paused; void ones are left out."""
    found: list[Sample] = []
    waits = {s.started_at: s for s in walk.samples if s.metric in ("first_response", "reply_time")}
    seen: Counter[str] = Counter()
    for clock in context.clocks:
        if clock.state is ClockStatus.VOID:
            continue
        decisive = _decisive(clock, context.now)
        # Two instances of a target that began at one instant (two waits begun the minute a
        # reply went out) share a clock key; the later one's sample is told apart by its rank.
        seen[clock.key] += 1
        key = clock.key if seen[clock.key] == 1 else f"{clock.key}#{seen[clock.key]}"
        sample = _outcome(
            walk,
            str(clock.target),
            key,
            clock.state,
            decisive,
            clock.started_at,
            clock.due_at,
            clock.met_at,
        )
        if clock.target in (Target.FIRST_RESPONSE, Target.NEXT_RESPONSE):
            sample = _bounded_by_its_wait(sample, waits.get(clock.started_at), walk.dims.assignee)
        found.append(sample)
    for item in context.feedback:
        if item.given_at is not None:
            state = ClockStatus.BREACHED if item.late else ClockStatus.MET
            decisive = item.breached_at if item.late and item.breached_at else item.given_at
        elif item.breached_at is not None:
            state, decisive = ClockStatus.BREACHED, item.breached_at
        else:
            state, decisive = ClockStatus.ACTIVE, item.recorded_at
        found.append(
            _outcome(
                walk, "requirement_feedback", f"requirement:{item.requirement_id}", state, decisive,
                item.recorded_at, item.breached_at, item.given_at, agent=item.owner_id,
            )
        )  # fmt: skip
    return found


def _bounded_by_its_wait(sample: Sample, wait: Sample | None, assignee: uuid.UUID | None) -> Sample:
    """A response target's instance is the wait it promised to end: the client's message that
    started it and, once answered, the response (and its author, whose number it is); unanswered,
    it is the current assignee's to answer."""
    if wait is None:
        return replace(sample, agent_id=assignee)
    answered = sample.ended_at is not None and wait.ended_at == sample.ended_at
    return replace(
        sample,
        start_event_id=wait.start_event_id,
        start_message_id=wait.start_message_id,
        end_event_id=wait.end_event_id if answered else None,
        end_message_id=wait.end_message_id if answered else None,
        agent_id=wait.agent_id if answered else assignee,
    )


def _decisive(clock: TargetClock, now: datetime | None) -> datetime:
    if clock.state is ClockStatus.MET and clock.met_at is not None:
        return clock.met_at
    if clock.state in (ClockStatus.BREACHED, ClockStatus.ACTIVE) and clock.due_at is not None:
        # An active instance is filed under its due day: the day it is decided if it breaches,
        # which reports assume once that day has passed (hub.reporting.reports.OUTCOME).
        return clock.due_at
    return clock.started_at


def _outcome(
    walk: _Walk,
    target: str,
    key: str,
    state: ClockStatus,
    decisive: datetime,
    started_at: datetime,
    due_at: datetime | None,
    met_at: datetime | None,
    *,
    agent: uuid.UUID | None = None,
) -> Sample:
    breach_by = None
    if state is ClockStatus.BREACHED and due_at is not None and met_at is not None and met_at > due_at:
        breach_by = business_between(walk.calendar, due_at, met_at).total_seconds()
    return walk._sample(
        "sla",
        key,
        decisive,
        started_at=started_at,
        ended_at=met_at,
        target=target,
        outcome=str(state),
        due_at=due_at,
        breach_by_seconds=breach_by,
        agent_id=agent,
    )


def _ladder(walk: _Walk, log: Sequence[LogEvent]) -> list[Sample]:
    """The complaint ladder (1/3/5 business days): a level reached means the tier below it ran out
    of time (breached); a resolve at a level means that tier made it (met)."""
    found: list[Sample] = []
    level, cycle = 0, 1
    for event in log:
        at = event.at.astimezone(UTC)
        if event.kind == K.ESCALATED:
            reached = int(event.data.get("level") or level + 1)
            cycle = int(event.data.get("cycle") or cycle)
            for tier in range(level + 1, reached + 1):
                found.append(
                    walk._sample(
                        "sla", f"escalation:{cycle}:{tier}", at, started_at=None, ended_at=at,
                        target=f"escalation_{tier}", outcome=str(ClockStatus.BREACHED), end_event_id=event.id,
                    )
                )  # fmt: skip
            level = max(level, reached)
        elif event.kind in (K.RESOLVED, K.CLOSED) and level > 0:
            tier = level + 1
            if tier <= 3:
                found.append(
                    walk._sample(
                        "sla", f"escalation:{cycle}:{tier}", at, ended_at=at, target=f"escalation_{tier}",
                        outcome=str(ClockStatus.MET), end_event_id=event.id,
                    )
                )  # fmt: skip
            level = 0
            cycle += 1
    return found


def _handoffs(walk: _Walk, log: Sequence[LogEvent]) -> list[Sample]:
    """Internal liaison (2 business hours): each hand-off asked on the ticket, answered in time or not."""
    asked: dict[str, tuple[LogEvent, datetime | None]] = {}
    outcome: dict[str, tuple[ClockStatus, datetime, LogEvent]] = {}
    for event in log:
        handoff = str(event.data.get("handoff_id") or "")
        if not handoff:
            continue
        if event.kind == K.HANDOFF_REQUESTED:
            due = event.data.get("due_at")
            asked[handoff] = (event, datetime.fromisoformat(due) if isinstance(due, str) else None)
        elif event.kind == K.HANDOFF_ANSWERED and handoff not in outcome:
            late = bool(event.data.get("late"))
            outcome[handoff] = (ClockStatus.BREACHED if late else ClockStatus.MET, event.at, event)
        elif event.kind == K.HANDOFF_BREACHED and handoff not in outcome:
            outcome[handoff] = (ClockStatus.BREACHED, event.at, event)
    found: list[Sample] = []
    for handoff, (request, due) in asked.items():
        state, decisive, end = outcome.get(handoff, (ClockStatus.ACTIVE, request.at, request))
        met_at = end.at if end.kind == K.HANDOFF_ANSWERED else None
        if state in (ClockStatus.BREACHED, ClockStatus.ACTIVE) and due is not None:
            decisive = due
        sample = _outcome(
            walk,
            "liaison",
            f"handoff:{handoff}",
            state,
            decisive,
            request.at,
            due,
            met_at,
            agent=_uuid(end.actor_user_id) if met_at else None,
        )
        found.append(
            replace(sample, start_event_id=request.id, end_event_id=end.id if end is not request else None)
        )
    return found


def derive(log: Sequence[LogEvent], context: TicketContext) -> list[Sample]:
    """Every sample of the ticket whose log is ``log`` (in log order)."""
    ordered = sorted(log, key=lambda e: (e.at, e.id))
    walk = _Walk(context)
    for event in ordered:
        walk.apply(event)
    samples = walk.finish()
    samples += _sla_samples(walk, context)
    samples += _handoffs(walk, ordered)
    samples += _ladder(walk, ordered)
    return samples


def reopen_count(samples: Sequence[Sample]) -> int:
    return sum(1 for s in samples if s.metric == "reopen")
