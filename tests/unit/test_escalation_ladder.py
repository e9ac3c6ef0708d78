"""The complaint ladder's due instants (hub.sla.escalation), on the cn calendar, without a database."""

from __future__ import annotations

from hub.sla.escalation import owed_steps, step_key
from tests.unit.calendar_helpers import CN
from tests.unit.sla_helpers import K, clocks, log, shown, targets

NONE = targets()


def _due(events, now: str, **kwargs) -> dict[int, str | None]:
    state = clocks(events, NONE, now)
    return {s.level: shown(s.due_at) for s in owed_steps(state, CN, **{"current_level": 0, **kwargs})}


def test_friday_afternoon_before_the_spring_festival() -> None:
    """Fri 13 Feb 2026 15:00; Sat 14 Feb is a make-up workday; 15-23 Feb are the holiday."""
    events = log((K.CREATED, "2026-02-13T15:00"), (K.CUSTOMER_MESSAGE, "2026-02-13T15:00"))
    assert _due(events, "2026-02-13T15:00") == {
        1: "2026-02-14T15:00",  # 3 h on Friday + 5 h on the make-up Saturday
        2: "2026-02-25T15:00",  # 11 h before the holiday, 8 h on Tue 24, 5 h on Wed 25
        3: "2026-02-27T15:00",
    }


def test_waiting_on_the_client_stops_the_ladder() -> None:
    events = log(
        (K.CREATED, "2026-03-02T09:00"),
        (K.PENDING_ON, "2026-03-02T13:00"),  # 3 business hours used
        (K.PENDING_OFF, "2026-03-04T13:00"),
    )
    assert _due(events, "2026-03-04T13:00")[1] == "2026-03-04T18:00"
    still_pending = events[:2]
    assert _due(still_pending, "2026-03-03T10:00") == {1: None, 2: None, 3: None}


def test_a_reopen_starts_the_ladder_again_and_resolving_owes_nothing() -> None:
    resolved = log((K.CREATED, "2026-03-02T09:00"), (K.RESOLVED, "2026-03-02T10:00"))
    assert _due(resolved, "2026-03-09T10:00") == {}
    reopened = [*resolved, *log((K.REOPENED, "2026-03-03T09:00"))]
    steps = owed_steps(clocks(reopened, NONE, "2026-03-03T09:00"), CN, current_level=0)
    assert (steps[0].level, steps[0].cycle, shown(steps[0].due_at)) == (1, 2, "2026-03-03T18:00")
    assert steps[0].key == "escalation:2:1"


def test_levels_already_reached_or_recorded_are_not_owed() -> None:
    events = log((K.CREATED, "2026-03-02T09:00"))
    assert list(_due(events, "2026-03-02T09:00", current_level=2)) == [3]
    assert list(_due(events, "2026-03-02T09:00", recorded={step_key(1, 1)})) == [2, 3]
