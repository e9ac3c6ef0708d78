"""Shorthand for the SLA clock tests: events as (kind, ISO instant), instants shown in Shanghai time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.calendars.durations import DurationSpec, parse_duration
from hub.domain import TicketEventKind
from hub.sla.clock import ClockState, TargetClock, compute_clocks
from hub.sla.policy_choice import SlaTargets
from hub.sla.targets import Target
from tests.unit.calendar_helpers import CN

K = TicketEventKind


@dataclass(frozen=True)
class Ev:
    kind: TicketEventKind
    at: datetime


def at(text: str) -> datetime:
    """An instant; without an offset it is Shanghai time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CN.zone)


def log(*pairs: tuple[TicketEventKind, str]) -> list[Ev]:
    return [Ev(kind, at(when)) for kind, when in pairs]


def targets(first: str | None = None, next_: str | None = None, resolution: str | None = None) -> SlaTargets:
    def spec(value: str | None) -> DurationSpec | None:
        return parse_duration(value) if value else None

    return SlaTargets(first_response=spec(first), next_response=spec(next_), resolution=spec(resolution))


def clocks(events: list[Ev], policy: SlaTargets, now: str, **kwargs: float) -> ClockState:
    return compute_clocks(events, policy, CN, at(now), **kwargs)


def shown(moment: datetime | None) -> str | None:
    """An instant as Shanghai wall time, ``2026-02-14T17:00`` (seconds only when there are some)."""
    if moment is None:
        return None
    local = moment.astimezone(CN.zone)
    return local.strftime("%Y-%m-%dT%H:%M" + (":%S" if local.second else ""))


def only(state: ClockState, target: Target) -> TargetClock:
    found = [c for c in state.clocks if c.target is target]
    assert len(found) == 1, found
    return found[0]


def all_of(state: ClockState, target: Target) -> list[TargetClock]:
    return [c for c in state.clocks if c.target is target]
