"""Every SLA clock of a ticket, derived from its event log.

``compute_clocks(events, policy, calendar, now)`` is a pure function: the same log always gives
the same clocks, so the stored due times can be rebuilt at any moment (``hub sla recompute``) and
tested without a database. The rules:

* **Cycles.** A ticket's life is cut into care cycles: from creation, or from a reopen, to the next
  resolve (or close, or merge). Each cycle has its own resolution clock, from its start.
* **First response** runs from the first customer message to the first human response. It is
  promised once per ticket: a cycle that ends without any human response (a bot or auto-resolved
  first cycle) leaves it void or breached, and the next cycle promises it afresh from *its* first
  customer message, never from the ticket's creation (B1).
* **Next response** runs from the oldest customer message not yet answered (``waiting_since``) to
  the next human response, for every wait after the first response; the first wait is not counted
  twice. A customer message that reopens a resolved ticket starts a wait at that message (B2).
* **Pending** (waiting on the client) pauses every clock; the customer's answer ends the pause
  and the clocks resume, their due instants moved by the working time the pause covered.
* Only ``human_response`` answers. Auto-messages, notes, assignments and the rest never change a
  clock (B6, B7); a start outside working time counts from the next working moment (B8).
* A reply whose delivery **failed for good** answered nobody: the log read for the clocks leaves
  its ``human_response`` out (``hub.sla.service.events_for``), so the clock it stopped runs again.

An instance is met when answered no later than its due instant, breached when its due instant
passes first (answered late, or not at all), void when its cycle ends earlier, paused while the
due instant is unknown because the ticket waits on the client, else active.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from hub.calendars.model import Calendar
from hub.domain import TicketEventKind
from hub.sla.policy_choice import SlaTargets
from hub.sla.span import Pause, reach
from hub.sla.targets import ClockStatus, Target

K = TicketEventKind

#: The event kinds that move a clock; everything else in the log is ignored.
CLOCK_EVENTS = frozenset(
    {
        K.CREATED,
        K.CUSTOMER_MESSAGE,
        K.HUMAN_RESPONSE,
        K.PENDING_ON,
        K.PENDING_OFF,
        K.RESOLVED,
        K.CLOSED,
        K.MERGED,
        K.REOPENED,
    }
)
#: A warning is due once this share of a target's time is used (HUB_SLA_WARNING_LEAD_PERCENT).
DEFAULT_WARNING_LEAD = 0.2


class ClockEvent(Protocol):
    """Anything with a kind and an instant: a ``TicketEvent`` row or a test's tuple."""

    @property
    def kind(self) -> str: ...

    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True)
class TargetClock:
    """One instance of a target: the first response, one wait for a next response, one resolution."""

    target: Target
    cycle: int
    started_at: datetime
    state: ClockStatus
    #: ``None`` while paused with the time not yet used up.
    due_at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None = None
    #: When the cycle ended without the target being met (resolved or merged first).
    ended_at: datetime | None = None
    #: Active time left when paused.
    remaining: timedelta | None = None

    @property
    def breached_at(self) -> datetime | None:
        return self.due_at if self.state is ClockStatus.BREACHED else None

    @property
    def key(self) -> str:
        """Names this instance for good: the sweep records each warning and breach once per key."""
        if self.target is Target.NEXT_RESPONSE:
            return f"{self.target}:{self.cycle}:{self.started_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}"
        return f"{self.target}:{self.cycle}"


@dataclass(frozen=True)
class ClockState:
    cycle: int
    #: False once the current cycle is resolved (until a reopen).
    open: bool
    paused_since: datetime | None
    #: The oldest customer message not yet answered: the next response runs from it.
    waiting_since: datetime | None
    clocks: tuple[TargetClock, ...]
    #: When the current cycle began (creation, or the last reopen); ``None`` once it is resolved.
    cycle_started_at: datetime | None = None
    #: Every pause of the log (waiting on the client), for clocks kept outside this module such
    #: as the complaint escalation ladder.
    pauses: tuple[Pause, ...] = ()

    def latest(self, target: Target) -> TargetClock | None:
        """The most recent instance of ``target`` (for the first response: the ticket's one)."""
        return next((c for c in reversed(self.clocks) if c.target is target), None)

    @property
    def breached(self) -> bool:
        """Whether any target of the current cycle is breached."""
        return any(c.state is ClockStatus.BREACHED and c.cycle == self.cycle for c in self.clocks)


@dataclass
class _Instance:
    target: Target
    cycle: int
    started_at: datetime
    met_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass
class _Walk:
    """The event log read in order: cycles, waits and pauses, without any time arithmetic yet."""

    cycle: int = 1
    open: bool = True
    first_met: bool = False
    first: _Instance | None = None
    wait: _Instance | None = None
    resolution: _Instance | None = None
    waiting_since: datetime | None = None
    pauses: list[list[datetime | None]] = field(default_factory=list)
    instances: list[_Instance] = field(default_factory=list)

    def _start(self, target: Target, at: datetime) -> _Instance:
        instance = _Instance(target, self.cycle, at)
        self.instances.append(instance)
        return instance

    @property
    def paused_since(self) -> datetime | None:
        return self.pauses[-1][0] if self.pauses and self.pauses[-1][1] is None else None

    def apply(self, kind: str, at: datetime) -> None:
        if kind == K.CREATED:
            if self.open and self.resolution is None and not self.instances:
                self.resolution = self._start(Target.RESOLUTION, at)
        elif kind == K.CUSTOMER_MESSAGE:
            self._customer_message(at)
        elif kind == K.HUMAN_RESPONSE:
            self._human_response(at)
        elif kind == K.PENDING_ON:
            if self.open and self.paused_since is None:
                self.pauses.append([at, None])
        elif kind == K.PENDING_OFF:
            self._resume(at)
        elif kind in (K.RESOLVED, K.CLOSED):
            self._end_cycle(at, resolved=True)
        elif kind == K.MERGED:
            self._end_cycle(at, resolved=False)
        elif kind == K.REOPENED and not self.open:
            self._new_cycle(at)

    def _customer_message(self, at: datetime) -> None:
        if not self.open:
            self._new_cycle(at)  # a message on a resolved ticket reopens it, logged or not
        if self.resolution is None:
            self.resolution = self._start(Target.RESOLUTION, at)
        if self.waiting_since is None:
            self.waiting_since = at
        if not self.first_met:
            self.first = self.first or self._start(Target.FIRST_RESPONSE, at)
        else:
            self.wait = self.wait or self._start(Target.NEXT_RESPONSE, at)

    def _human_response(self, at: datetime) -> None:
        if not self.open:
            return
        if self.first is not None:
            self.first.met_at, self.first, self.first_met = at, None, True
        if self.wait is not None:
            self.wait.met_at, self.wait = at, None
        self.waiting_since = None

    def _resume(self, at: datetime) -> None:
        if self.paused_since is not None:
            self.pauses[-1][1] = at

    def _end_cycle(self, at: datetime, *, resolved: bool) -> None:
        if not self.open:
            return
        self._resume(at)
        for instance in (self.first, self.wait):
            if instance is not None:
                instance.ended_at = at
        if self.resolution is not None:
            if resolved:
                self.resolution.met_at = at
            else:
                self.resolution.ended_at = at
        self.first = self.wait = self.resolution = None
        self.waiting_since = None
        self.open = False

    def _new_cycle(self, at: datetime) -> None:
        self.cycle += 1
        self.open = True
        self.resolution = self._start(Target.RESOLUTION, at)


def _pauses(walk: _Walk) -> tuple[Pause, ...]:
    return tuple((on, off) for on, off in walk.pauses if on is not None)


def _finish(
    instance: _Instance,
    policy: SlaTargets,
    calendar: Calendar,
    pauses: Sequence[Pause],
    now: datetime,
    lead: float,
) -> TargetClock | None:
    spec = policy.spec(instance.target)
    if spec is None:
        return None
    end = instance.met_at or instance.ended_at
    # Pauses that begin after the instance ended cannot change its outcome, only hide its due time.
    relevant = [p for p in pauses if end is None or p[0] < end]
    length = spec.length(calendar.business_day)
    due = reach(calendar, spec.business, instance.started_at, length, relevant)
    warn_at = None
    if lead > 0:
        warn_at = reach(calendar, spec.business, instance.started_at, length * (1 - lead), relevant).at
    if instance.met_at is not None:
        late = due.at is not None and instance.met_at > due.at
        state = ClockStatus.BREACHED if late else ClockStatus.MET
    elif instance.ended_at is not None:
        late = due.at is not None and due.at < instance.ended_at
        state = ClockStatus.BREACHED if late else ClockStatus.VOID
    elif due.at is None:
        state = ClockStatus.PAUSED
    else:
        state = ClockStatus.BREACHED if due.at < now else ClockStatus.ACTIVE
    return TargetClock(
        target=instance.target,
        cycle=instance.cycle,
        started_at=instance.started_at,
        state=state,
        due_at=due.at,
        warn_at=warn_at,
        met_at=instance.met_at,
        ended_at=instance.ended_at,
        remaining=due.remaining if state is ClockStatus.PAUSED else None,
    )


def compute_clocks(
    events: Iterable[ClockEvent],
    policy: SlaTargets,
    calendar: Calendar,
    now: datetime,
    *,
    warning_lead: float = DEFAULT_WARNING_LEAD,
) -> ClockState:
    """The clocks of a ticket whose log is ``events`` (in log order; sorted stably by instant)."""
    if not 0 <= warning_lead < 1:
        raise ValueError(f"warning_lead must be in [0, 1), got {warning_lead}")
    walk = _Walk()
    for event in sorted(events, key=lambda e: e.at):
        walk.apply(event.kind, event.at.astimezone(UTC))
    pauses = _pauses(walk)
    now = now.astimezone(UTC)
    clocks = (_finish(i, policy, calendar, pauses, now, warning_lead) for i in walk.instances)
    return ClockState(
        cycle=walk.cycle,
        open=walk.open,
        paused_since=walk.paused_since,
        waiting_since=walk.waiting_since,
        clocks=tuple(c for c in clocks if c is not None),
        cycle_started_at=walk.resolution.started_at if walk.open and walk.resolution else None,
        pauses=pauses,
    )
