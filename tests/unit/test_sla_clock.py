"""SLA clocks from event logs, with exact instants on the ``cn`` calendar."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.sla.clock import compute_clocks
from hub.sla.targets import ClockStatus as S
from hub.sla.targets import Target as T
from tests.unit.calendar_helpers import CN
from tests.unit.sla_helpers import K, all_of, at, clocks, log, only, shown, targets

EMAIL = targets("1bd", "1bd", "3bd")
CHAT = targets("3bm", "3bm")


def test_an_email_on_friday_at_five_is_due_on_the_make_up_saturday() -> None:
    """2026-02-13 is a Friday; 2026-02-14 a Spring Festival make-up workday (调休)."""
    events = log((K.CREATED, "2026-02-13T17:00"), (K.CUSTOMER_MESSAGE, "2026-02-13T17:00"))
    state = clocks(events, EMAIL, now="2026-02-13T17:30")
    first = only(state, T.FIRST_RESPONSE)
    assert first.state is S.ACTIVE
    assert shown(first.due_at) == "2026-02-14T17:00"
    # 80 % of 8 working hours: 1 h on Friday, then 5 h 24 min of Saturday (after the lunch break).
    assert shown(first.warn_at) == "2026-02-14T15:24"
    # Three business days: Friday 1 h, Saturday 8 h, the holiday week skipped, 24 Feb 8 h, 25 Feb 7 h.
    assert shown(only(state, T.RESOLUTION).due_at) == "2026-02-25T17:00"


def test_a_wechat_message_at_11_59_is_due_two_minutes_after_lunch() -> None:
    events = log((K.CREATED, "2026-03-04T11:59"), (K.CUSTOMER_MESSAGE, "2026-03-04T11:59"))
    first = only(clocks(events, CHAT, now="2026-03-04T12:30"), T.FIRST_RESPONSE)
    assert shown(first.due_at) == "2026-03-04T13:02"
    assert first.state is S.ACTIVE, "lunch is not working time: not breached at 12:30"
    assert only(clocks(events, CHAT, now="2026-03-04T13:03"), T.FIRST_RESPONSE).state is S.BREACHED


def test_pending_over_a_weekend_moves_the_due_instant_by_the_paused_working_time() -> None:
    """Fri 10:00 + 1bd is Mon 10:00; pending from Fri 11:00 to Mon 11:00 covers 8 working hours."""
    opened = [(K.CREATED, "2026-03-06T10:00"), (K.CUSTOMER_MESSAGE, "2026-03-06T10:00")]
    policy = targets(resolution="1bd")
    assert (
        shown(only(clocks(log(*opened), policy, "2026-03-06T10:30"), T.RESOLUTION).due_at)
        == "2026-03-09T10:00"
    )
    paused = log(*opened, (K.PENDING_ON, "2026-03-06T11:00"))
    waiting = only(clocks(paused, policy, "2026-03-08T12:00"), T.RESOLUTION)
    assert waiting.state is S.PAUSED and waiting.due_at is None
    assert waiting.remaining == timedelta(hours=7)
    resumed = log(*opened, (K.PENDING_ON, "2026-03-06T11:00"), (K.PENDING_OFF, "2026-03-09T11:00"))
    assert shown(only(clocks(resumed, policy, "2026-03-09T11:00"), T.RESOLUTION).due_at) == "2026-03-10T10:00"


def test_a_human_response_before_the_due_instant_meets_the_first_response() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-04T10:02:30"),
    )
    first = only(clocks(events, CHAT, now="2026-03-05T10:00"), T.FIRST_RESPONSE)
    assert first.state is S.MET and shown(first.met_at) == "2026-03-04T10:02:30"
    assert first.breached_at is None


def test_a_late_answer_is_a_breach_that_remembers_when_it_was_met() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-04T10:04"),
    )
    first = only(clocks(events, CHAT, now="2026-03-04T10:05"), T.FIRST_RESPONSE)
    assert first.state is S.BREACHED
    assert shown(first.breached_at) == "2026-03-04T10:03" and shown(first.met_at) == "2026-03-04T10:04"


def test_an_answer_exactly_at_the_due_instant_is_in_time() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-04T10:03"),
    )
    assert only(clocks(events, CHAT, now="2026-03-04T11:00"), T.FIRST_RESPONSE).state is S.MET


def test_next_response_runs_from_the_oldest_unanswered_message() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-04T10:01"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:20"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:22"),
    )
    state = clocks(events, CHAT, now="2026-03-04T10:22:30")
    (wait,) = all_of(state, T.NEXT_RESPONSE)
    assert shown(wait.started_at) == "2026-03-04T10:20" and shown(wait.due_at) == "2026-03-04T10:23"
    assert shown(state.waiting_since) == "2026-03-04T10:20"
    answered = clocks([*events, *log((K.HUMAN_RESPONSE, "2026-03-04T10:22:50"))], CHAT, "2026-03-04T10:30")
    assert only(answered, T.NEXT_RESPONSE).state is S.MET and answered.waiting_since is None


def test_the_first_wait_is_not_counted_again_as_a_next_response() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:01"),
        (K.HUMAN_RESPONSE, "2026-03-04T10:02"),
        (K.HUMAN_RESPONSE, "2026-03-04T10:05"),
    )
    state = clocks(events, CHAT, now="2026-03-04T11:00")
    assert all_of(state, T.NEXT_RESPONSE) == []
    assert only(state, T.FIRST_RESPONSE).state is S.MET


def test_resolution_excludes_pending_and_is_met_by_resolving() -> None:
    events = log(
        (K.CREATED, "2026-03-04T09:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T09:00"),
        (K.HUMAN_RESPONSE, "2026-03-04T09:30"),
        (K.PENDING_ON, "2026-03-04T10:00"),
        (K.PENDING_OFF, "2026-03-05T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-05T10:00"),
        (K.RESOLVED, "2026-03-05T16:00"),
    )
    resolution = only(clocks(events, targets(resolution="1bd"), now="2026-03-06T09:00"), T.RESOLUTION)
    # 1 h before the pause, 7 h after it: 10:00 + 7 working hours is 18:00 on the 5th.
    assert shown(resolution.due_at) == "2026-03-05T18:00"
    assert resolution.state is S.MET and shown(resolution.met_at) == "2026-03-05T16:00"


def test_pending_pauses_the_response_clocks_too() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.PENDING_ON, "2026-03-04T10:01"),
    )
    first = only(clocks(events, CHAT, now="2026-03-04T17:00"), T.FIRST_RESPONSE)
    assert first.state is S.PAUSED and first.remaining == timedelta(minutes=2)
    resumed = [*events, *log((K.PENDING_OFF, "2026-03-05T09:30"))]
    assert (
        shown(only(clocks(resumed, CHAT, "2026-03-05T09:30"), T.FIRST_RESPONSE).due_at) == "2026-03-05T09:32"
    )


def test_a_pause_after_the_breach_does_not_undo_it() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.PENDING_ON, "2026-03-04T10:10"),
    )
    first = only(clocks(events, CHAT, now="2026-03-04T10:20"), T.FIRST_RESPONSE)
    assert first.state is S.BREACHED and shown(first.due_at) == "2026-03-04T10:03"


def test_resolving_before_the_due_instant_voids_an_unanswered_response() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.RESOLVED, "2026-03-04T10:01"),
    )
    first = only(clocks(events, CHAT, now="2026-03-05T10:00"), T.FIRST_RESPONSE)
    assert first.state is S.VOID and first.ended_at is not None and first.breached_at is None


def test_resolving_after_the_due_instant_leaves_the_breach() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.RESOLVED, "2026-03-04T10:30"),
    )
    assert only(clocks(events, CHAT, now="2026-03-05T10:00"), T.FIRST_RESPONSE).state is S.BREACHED


def test_a_target_the_policy_leaves_empty_has_no_clock() -> None:
    events = log((K.CREATED, "2026-03-04T10:00"), (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"))
    state = clocks(events, targets(first="3bm"), now="2026-03-04T10:01")
    assert [c.target for c in state.clocks] == [T.FIRST_RESPONSE]


def test_calendar_time_targets_run_day_and_night() -> None:
    events = log((K.CREATED, "2026-03-06T17:00"), (K.CUSTOMER_MESSAGE, "2026-03-06T17:00"))
    first = only(clocks(events, targets(first="24h"), now="2026-03-06T18:00"), T.FIRST_RESPONSE)
    assert shown(first.due_at) == "2026-03-07T17:00"


def test_no_warning_when_the_lead_is_zero() -> None:
    events = log((K.CREATED, "2026-03-04T10:00"), (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"))
    state = clocks(events, CHAT, now="2026-03-04T10:01", warning_lead=0)
    assert only(state, T.FIRST_RESPONSE).warn_at is None


def test_the_warning_lead_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="warning_lead"):
        compute_clocks([], CHAT, CN, at("2026-03-04T10:00"), warning_lead=1)


# -- regressions B1-B8 (the rules in hub.sla.clock's docstring) -----------------------------------


def test_b1_first_response_of_a_reopened_auto_resolved_ticket_starts_at_the_reopening_message() -> None:
    """B1: a bot-resolved first cycle then a reopen; FRT must not be measured from creation."""
    events = log(
        (K.CREATED, "2026-03-02T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
        (K.AUTO_MESSAGE, "2026-03-02T10:00:05"),
        (K.RESOLVED, "2026-03-02T10:01"),
        (K.REOPENED, "2026-03-06T14:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-06T14:00"),
        (K.HUMAN_RESPONSE, "2026-03-06T14:02"),
    )
    state = clocks(events, CHAT, now="2026-03-06T15:00")
    first_cycle, second_cycle = all_of(state, T.FIRST_RESPONSE)
    assert first_cycle.state is S.VOID
    assert second_cycle.cycle == 2 and shown(second_cycle.started_at) == "2026-03-06T14:00"
    assert second_cycle.state is S.MET
    assert state.cycle == 2 and not state.breached


def test_b2_a_message_on_a_resolved_ticket_starts_a_wait_at_that_message() -> None:
    """B2: the wait after a reopen starts at the reopening message, not before the resolution."""
    events = log(
        (K.CREATED, "2026-03-02T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-02T10:01"),
        (K.CUSTOMER_MESSAGE, "2026-03-02T10:05"),
        (K.RESOLVED, "2026-03-02T10:06"),
        (K.REOPENED, "2026-03-09T09:30"),
        (K.CUSTOMER_MESSAGE, "2026-03-09T09:30"),
    )
    state = clocks(events, CHAT, now="2026-03-09T09:31")
    before, after = all_of(state, T.NEXT_RESPONSE)
    assert before.state is S.VOID, "the wait cut short by resolving breaches nothing"
    assert shown(after.started_at) == "2026-03-09T09:30" and shown(after.due_at) == "2026-03-09T09:33"
    assert after.state is S.ACTIVE
    assert all_of(state, T.FIRST_RESPONSE)[0].state is S.MET, "the first response is promised once"
    assert shown(state.waiting_since) == "2026-03-09T09:30"


def test_b1_a_message_logged_on_a_resolved_ticket_without_a_reopen_event_still_starts_a_cycle() -> None:
    events = log(
        (K.CREATED, "2026-03-02T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
        (K.RESOLVED, "2026-03-02T10:01"),
        (K.CUSTOMER_MESSAGE, "2026-03-03T10:00"),
    )
    state = clocks(events, CHAT, now="2026-03-03T10:01")
    assert state.cycle == 2 and state.open
    assert shown(all_of(state, T.FIRST_RESPONSE)[-1].due_at) == "2026-03-03T10:03"


@pytest.mark.parametrize("kind", [K.AUTO_MESSAGE, K.NOTE, K.ASSIGNED, K.STATUS_CHANGED, K.DELIVERY_FAILED])
def test_b6_b7_nothing_but_a_human_response_answers(kind: K) -> None:
    """B6 (a call logged as a reply) and B7 (automation replies): only human_response counts."""
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (kind, "2026-03-04T10:01"),
    )
    first = only(clocks(events, CHAT, now="2026-03-04T10:05"), T.FIRST_RESPONSE)
    assert first.state is S.BREACHED and first.met_at is None


def test_b7_an_inbound_auto_message_starts_no_wait() -> None:
    events = log((K.CREATED, "2026-03-04T10:00"), (K.AUTO_MESSAGE, "2026-03-04T10:00"))
    state = clocks(events, CHAT, now="2026-03-05T10:00")
    assert all_of(state, T.FIRST_RESPONSE) == [] and state.waiting_since is None


@pytest.mark.parametrize(
    ("raised", "due"),
    [
        ("2026-03-07T10:00", "2026-03-09T09:03"),  # a Saturday
        ("2026-02-17T10:00", "2026-02-24T09:03"),  # Spring Festival holiday
        ("2026-03-04T21:00", "2026-03-05T09:03"),  # a weekday evening
        ("2026-03-04T12:30", "2026-03-04T13:03"),  # the lunch break
    ],
)
def test_b8_a_ticket_raised_outside_working_time_starts_at_the_next_working_minute(
    raised: str, due: str
) -> None:
    events = log((K.CREATED, raised), (K.CUSTOMER_MESSAGE, raised))
    first = only(clocks(events, CHAT, now=raised), T.FIRST_RESPONSE)
    assert shown(first.due_at) == due


def test_b8_answered_before_the_next_working_minute_is_met() -> None:
    """Keeping.com: arrives off-hours, answered off-hours: in time."""
    events = log(
        (K.CREATED, "2026-03-07T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-07T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-07T15:00"),
    )
    assert only(clocks(events, CHAT, now="2026-03-09T12:00"), T.FIRST_RESPONSE).state is S.MET


def test_merging_voids_what_was_not_yet_due() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.MERGED, "2026-03-04T10:01"),
    )
    state = clocks(events, targets("3bm", resolution="1bd"), now="2026-03-05T10:00")
    assert {c.state for c in state.clocks} == {S.VOID}


def test_each_clock_has_a_stable_key_per_cycle_and_wait() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-04T10:01"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:20"),
    )
    keys = [c.key for c in clocks(events, targets("3bm", "3bm", "1bd"), now="2026-03-04T10:21").clocks]
    assert keys == ["resolution:1", "first_response:1", "next_response:1:20260304T022000.000000Z"]
