"""Single deadlines (hub.sla.deadline): requirement feedback and hand-off answers on the cn calendar."""

from __future__ import annotations

from hub.calendars.durations import parse_duration
from hub.sla.deadline import BREACHED, WARNING, Deadline
from hub.sla.targets import ClockStatus as S
from tests.unit.calendar_helpers import CN
from tests.unit.sla_helpers import at, shown

FEEDBACK, HANDOFF = parse_duration("3bd"), parse_duration("2bh")


def test_feedback_is_due_three_working_days_after_recording_across_a_holiday() -> None:
    """Recorded Thu 30 Apr 2026 16:00; the Labour Day holiday runs from 1 to 5 May."""
    deadline = Deadline.plan(CN, at("2026-04-30T16:00"), FEEDBACK, 0.2)
    assert shown(deadline.due_at) == "2026-05-08T16:00"
    assert shown(deadline.warn_at) == "2026-05-08T10:12"  # after 80 % of 24 working hours


def test_a_handoff_answer_is_due_two_working_hours_later_skipping_lunch() -> None:
    deadline = Deadline.plan(CN, at("2026-03-04T11:00"), HANDOFF, 0.2)
    assert (shown(deadline.due_at), shown(deadline.warn_at)) == ("2026-03-04T14:00", "2026-03-04T13:36")
    assert Deadline.plan(CN, at("2026-03-04T11:00"), HANDOFF, 0).warn_at is None


def test_states_and_owed_alerts() -> None:
    deadline = Deadline.plan(CN, at("2026-03-04T11:00"), HANDOFF, 0.2)
    due = deadline.due_at
    assert deadline.state(at("2026-03-04T13:00"), met_at=None) is S.ACTIVE
    assert deadline.state(at("2026-03-04T15:00"), met_at=None) is S.BREACHED
    assert deadline.state(at("2026-03-04T15:00"), met_at=due) is S.MET
    assert deadline.state(at("2026-03-04T15:00"), met_at=at("2026-03-04T14:01")) is S.BREACHED
    assert deadline.state(at("2026-03-04T15:00"), met_at=None, void_at=at("2026-03-04T12:00")) is S.VOID
    assert [k for k, _ in deadline.owed(met_at=None)] == [WARNING, BREACHED]
    assert deadline.owed(met_at=None, recorded={WARNING}) == [(BREACHED, due)]
    assert deadline.owed(met_at=at("2026-03-04T12:00")) == []
    assert deadline.owed(met_at=at("2026-03-04T14:30")) == [(BREACHED, due)], (
        "met late: the breach stays owed"
    )
    assert deadline.owed(met_at=None, void_at=at("2026-03-04T12:00")) == []
