"""Worked vectors for every metric (M1-M9) and the anchors' accuracy bugs (B1-B17) that apply,
on China's calendar across the 2025 National Day (1-8 October; make-up workdays Sunday 28
September and Saturday 11 October) and the 2026 Spring Festival (15-23 February; make-up workdays
Saturday 14 and Saturday 28 February). Working day 09:00-12:00 and 13:00-18:00 (8 h)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.reporting import exports, reports
from hub.reporting.samples import Feedback, LogEvent, Sample, TicketContext, derive
from hub.sla.clock import CLOCK_EVENTS, compute_clocks
from hub.sla.policy_choice import SlaTargets
from tests.unit.calendar_helpers import CN
from tests.unit.sla_helpers import K, at, targets

TICKET = uuid.UUID(int=1)
ANN, BEN = uuid.UUID(int=11), uuid.UUID(int=12)
HOUR = 3600.0


def log(*rows: tuple[Any, ...]) -> list[LogEvent]:
    """``(kind, when, actor?, data?)`` rows, numbered in order."""
    found = []
    for n, row in enumerate(rows, start=1):
        kind, when, *rest = row
        actor = rest[0] if rest else None
        data = rest[1] if len(rest) > 1 else {}
        found.append(LogEvent(n, kind, at(when), actor, uuid.UUID(int=1000 + n), data))
    return found


def run(
    events: list[LogEvent], policy: SlaTargets | None = None, now: str = "2026-06-01T00:00", **extra: Any
) -> list[Sample]:
    policy = policy or SlaTargets()
    clock_log = [e for e in events if e.kind in CLOCK_EVENTS]
    clocks = compute_clocks(clock_log, policy, CN, at(now)).clocks
    context = TicketContext(TICKET, CN, policy, "email", clocks=clocks, now=at(now), **extra)
    return derive(events, context)


def of(samples: list[Sample], metric: str) -> list[Sample]:
    return [s for s in samples if s.metric == metric]


def one(samples: list[Sample], metric: str) -> Sample:
    (found,) = of(samples, metric)
    return found


def seconds(sample: Sample) -> tuple[float | None, float | None]:
    return sample.calendar_seconds, sample.business_seconds


# -- M1 first response ---------------------------------------------------------------------------


def test_m1_across_national_day_counts_only_working_time_b8() -> None:
    s = run(
        log(
            (K.CREATED, "2025-09-30T17:30"),
            (K.CUSTOMER_MESSAGE, "2025-09-30T17:30"),
            (K.HUMAN_RESPONSE, "2025-10-09T09:30", ANN),
        ),
        targets(first="1bd"),
    )
    first = one(s, "first_response")
    assert seconds(first) == (9 * 86400 - 8 * HOUR, HOUR)  # 30 min before the holiday, 30 after
    assert first.within_target is True and first.agent_id == ANN and first.day.isoformat() == "2025-10-09"


def test_m1_on_a_make_up_sunday_is_working_time() -> None:
    s = run(log((K.CUSTOMER_MESSAGE, "2025-09-28T10:00"), (K.HUMAN_RESPONSE, "2025-09-28T10:02", ANN)))
    assert seconds(one(s, "first_response")) == (120, 120)


def test_m1_asked_and_answered_on_a_holiday_is_zero_business_time() -> None:
    s = run(log((K.CUSTOMER_MESSAGE, "2025-10-04T10:00"), (K.HUMAN_RESPONSE, "2025-10-04T11:00", ANN)))
    assert seconds(one(s, "first_response")) == (HOUR, 0)


def test_m1_after_a_bot_resolved_cycle_starts_at_the_reopening_message_b1() -> None:
    s = run(
        log(
            (K.CREATED, "2026-02-13T10:00"),
            (K.CUSTOMER_MESSAGE, "2026-02-13T10:00"),
            (K.BOT_MESSAGE, "2026-02-13T10:00:05"),
            (K.RESOLVED, "2026-02-13T10:05"),
            (K.CUSTOMER_MESSAGE, "2026-02-14T10:00"),  # the make-up Saturday
            (K.HUMAN_RESPONSE, "2026-02-14T10:10", ANN),
        )
    )
    assert seconds(one(s, "first_response")) == (600, 600)
    assert len(of(s, "bot_resolved")) == 1 and len(of(s, "reopen")) == 1
    assert of(s, "reply_time") == []


def test_m1_is_not_ended_by_an_auto_message_a_bot_or_a_note_b7() -> None:
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.AUTO_MESSAGE, "2026-03-02T10:00:01"),
            (K.BOT_MESSAGE, "2026-03-02T10:00:02"),
            (K.NOTE, "2026-03-02T10:01", ANN),
            (K.HUMAN_RESPONSE, "2026-03-02T10:20", ANN),
        )
    )
    assert seconds(one(s, "first_response")) == (1200, 1200)


def test_m1_of_an_agent_started_ticket_waits_for_the_clients_first_message() -> None:
    s = run(
        log(
            (K.CREATED, "2026-03-02T10:00"),
            (K.HUMAN_RESPONSE, "2026-03-02T10:00", ANN),  # an outbound call that reached the client
            (K.CUSTOMER_MESSAGE, "2026-03-02T11:00"),
            (K.HUMAN_RESPONSE, "2026-03-02T11:05", BEN),
        )
    )
    first = one(s, "first_response")
    assert seconds(first) == (300, 300) and first.agent_id == BEN


def test_an_answered_inbound_call_answers_at_its_answer_b6() -> None:
    s = run(log((K.CUSTOMER_MESSAGE, "2026-03-02T10:00"), (K.HUMAN_RESPONSE, "2026-03-02T10:00:25", ANN)))
    assert seconds(one(s, "first_response")) == (25, 25)


def test_a_ticket_nobody_answered_has_no_response_sample_b13() -> None:
    s = run(log((K.CUSTOMER_MESSAGE, "2026-03-02T10:00"), (K.RESOLVED, "2026-03-02T10:05")))
    assert of(s, "first_response") == [] and of(s, "reply_time") == []
    assert len(of(s, "bot_resolved")) == 1


# -- M1b, M2 -------------------------------------------------------------------------------------


def test_m1b_human_pickup_runs_from_the_hand_off_or_the_responders_assignment_b3() -> None:
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.BOT_MESSAGE, "2026-03-02T10:00:05"),
            (K.BOT_HANDOFF, "2026-03-02T10:05"),
            (K.ASSIGNED, "2026-03-02T10:07", None, {"assignee_id": str(ANN)}),
            (K.HUMAN_RESPONSE, "2026-03-02T10:10", ANN),
        )
    )
    assert seconds(one(s, "first_response")) == (600, 600)
    assert seconds(one(s, "human_pickup")) == (180, 180)


def test_attribution_is_the_responder_with_the_assignee_at_start_beside_it_b4() -> None:
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.ASSIGNED, "2026-03-02T10:00", None, {"assignee_id": str(ANN), "team_id": None}),
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:01"),
            (K.HUMAN_RESPONSE, "2026-03-02T10:03", BEN),
        )
    )
    first = one(s, "first_response")
    assert first.agent_id == BEN and first.assignee_id is None, "nobody was assigned when the wait began"
    assert first.start_message_id == uuid.UUID(int=1001) and first.end_message_id == uuid.UUID(int=1004)


def test_m2_runs_from_the_oldest_unanswered_message_and_one_run_is_one_sample() -> None:
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.HUMAN_RESPONSE, "2026-03-02T10:01", ANN),
            (K.CUSTOMER_MESSAGE, "2026-03-02T11:50"),
            (K.CUSTOMER_MESSAGE, "2026-03-02T11:55"),
            (K.HUMAN_RESPONSE, "2026-03-02T13:10", ANN),  # lunch 12:00-13:00 is not working time
            (K.HUMAN_RESPONSE, "2026-03-02T13:11", ANN),
        ),
        targets(first="3m", next_="30m"),
    )
    (reply,) = of(s, "reply_time")
    assert seconds(reply) == (80 * 60, 20 * 60) and reply.within_target is False  # 30m is calendar time


def test_m2_two_waits_that_begin_at_one_instant_are_two_samples_with_their_own_keys() -> None:
    """A log of whole minutes: the client writes again the minute a reply went out. Both waits
    are measured, each under a key of its own (one key twice could not be stored)."""
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.HUMAN_RESPONSE, "2026-03-02T10:01", ANN),
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:05"),
            (K.HUMAN_RESPONSE, "2026-03-02T10:05", ANN),
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:05"),
            (K.HUMAN_RESPONSE, "2026-03-02T10:07", ANN),
        ),
        targets(first="3m", next_="30m"),
    )
    replies = of(s, "reply_time")
    assert [seconds(r) for r in replies] == [(0, 0), (120, 120)]
    assert len({r.key for r in replies}) == 2 and replies[0].key == "20260302T020500.000000"
    outcomes = [(x.target, x.outcome) for x in of(s, "sla")]
    assert outcomes.count(("next_response", "met")) == 2
    assert len({x.key for x in of(s, "sla")}) == len(outcomes)  # the two promises, each its own row


def test_m2_after_resolution_starts_at_the_reopening_message_b2() -> None:
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-02-13T10:00"),
            (K.HUMAN_RESPONSE, "2026-02-13T10:01", ANN),
            (K.RESOLVED, "2026-02-13T10:30", ANN),
            (K.HUMAN_RESPONSE, "2026-02-13T10:40", ANN),  # on a resolved ticket: answers nothing
            (K.CUSTOMER_MESSAGE, "2026-02-24T09:00"),  # after the Spring Festival
            (K.HUMAN_RESPONSE, "2026-02-24T09:05", ANN),
        )
    )
    (reply,) = of(s, "reply_time")
    assert seconds(reply) == (300, 300)
    assert [seconds(c) for c in of(s, "resolution_cycle")] == [(1800, 1800)]


# -- M5, M6 --------------------------------------------------------------------------------------


def test_m5_resolution_first_full_cycles_and_active_over_the_spring_festival() -> None:
    s = run(
        log(
            (K.CREATED, "2026-02-13T10:00"),
            (K.CUSTOMER_MESSAGE, "2026-02-13T10:00"),
            (K.HUMAN_RESPONSE, "2026-02-13T10:30", ANN),
            (K.PENDING_ON, "2026-02-13T11:00", ANN),
            (K.CUSTOMER_MESSAGE, "2026-02-24T10:00"),
            (K.PENDING_OFF, "2026-02-24T10:00"),
            (K.RESOLVED, "2026-02-24T11:00", ANN),
            (K.REOPENED, "2026-02-28T09:00"),  # the make-up Saturday
            (K.RESOLVED, "2026-02-28T10:00", BEN),
        )
    )
    first, full, active = one(s, "resolution_first"), one(s, "resolution_full"), one(s, "resolution_active")
    assert seconds(first) == (11 * 86400 + HOUR, 17 * HOUR)  # 7 h Fri, 8 h make-up Sat, 2 h Tue
    assert first.agent_id == ANN
    # To the last resolve: 7 + 8 h, Tue-Fri 32 h, 1 h on the make-up Saturday.
    assert seconds(full) == (15 * 86400, 48 * HOUR)
    # Active: less the wait on the client (Fri 11:00 to Tue 10:00: 6 + 8 + 1 business hours).
    assert seconds(active) == (15 * 86400 - (11 * 86400 - HOUR), 33 * HOUR)
    assert [seconds(c) for c in of(s, "resolution_cycle")] == [(11 * 86400 + HOUR, 17 * HOUR), (HOUR, HOUR)]
    (reopen,) = of(s, "reopen")
    assert reopen.started_at == at("2026-02-24T11:00") and reopen.day.isoformat() == "2026-02-28"
    assert len(of(s, "resolved")) == 2 and of(s, "bot_resolved") == []


def test_no_duration_is_negative_whatever_order_the_rows_come_in_b9() -> None:
    events = log(
        (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
        (K.HUMAN_RESPONSE, "2026-03-02T10:05", ANN),
        (K.RESOLVED, "2026-03-02T10:10", ANN),
    )
    s = run(list(reversed(events)))
    assert seconds(one(s, "first_response")) == (300, 300)
    assert all((x.calendar_seconds or 0) >= 0 and (x.business_seconds or 0) >= 0 for x in s)


# -- M7 compliance -------------------------------------------------------------------------------


def test_m7_outcomes_per_target_with_breach_by_in_business_time_b11() -> None:
    s = run(
        log(
            (K.CREATED, "2025-09-30T17:50"),
            (K.CUSTOMER_MESSAGE, "2025-09-30T17:50"),
            (K.HUMAN_RESPONSE, "2025-10-09T09:20", ANN),  # due 09:05 after the holiday
            (K.CUSTOMER_MESSAGE, "2025-10-09T10:00"),
            (K.HUMAN_RESPONSE, "2025-10-09T10:02", ANN),
            (K.CUSTOMER_MESSAGE, "2025-10-11T10:00"),  # the make-up Saturday
        ),
        targets(first="15bm", next_="3bm", resolution="3bd"),
        now="2025-10-11T10:30",
    )
    outcomes = {(x.target, x.outcome) for x in of(s, "sla")}
    assert outcomes == {
        ("first_response", "breached"),
        ("next_response", "met"),
        ("next_response", "breached"),
        ("resolution", "active"),
    }
    first = next(x for x in of(s, "sla") if x.target == "first_response")
    assert first.breach_by_seconds == 15 * 60 and first.day.isoformat() == "2025-10-09"


def test_m7_liaison_requirement_feedback_and_escalation_tiers() -> None:
    handoff, requirement = uuid.uuid4(), uuid.uuid4()
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (
                K.HANDOFF_REQUESTED,
                "2026-03-02T10:05",
                ANN,
                {"handoff_id": str(handoff), "due_at": "2026-03-02T13:05:00+08:00"},
            ),
            (K.HANDOFF_ANSWERED, "2026-03-02T14:00", BEN, {"handoff_id": str(handoff), "late": True}),
            (K.ESCALATED, "2026-03-03T10:00", None, {"level": 1, "cycle": 1}),
            (K.RESOLVED, "2026-03-04T10:00", ANN),
        ),
        feedback=[Feedback(requirement, at("2026-03-02T10:10"), at("2026-03-04T10:00"), False, None, ANN)],
    )
    got = {(x.target, x.outcome, x.key.split(":")[0]) for x in of(s, "sla")}
    assert ("liaison", "breached", "handoff") in got
    assert ("requirement_feedback", "met", "requirement") in got
    assert ("escalation_1", "breached", "escalation") in got and ("escalation_2", "met", "escalation") in got
    liaison = next(x for x in of(s, "sla") if x.target == "liaison")
    assert liaison.breach_by_seconds == 55 * 60 and liaison.agent_id == BEN


# -- M8, M9 --------------------------------------------------------------------------------------


def test_m8_volumes_leave_out_a_merged_ticket() -> None:
    merged = run(
        log(
            (K.CREATED, "2026-03-02T10:00"),
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.MERGED, "2026-03-02T10:01"),
        )
    )
    assert of(merged, "created") == [] or all(x.metric != "resolved" for x in merged)
    kept = run(log((K.CREATED, "2026-03-02T10:00"), (K.RESOLVED, "2026-03-02T11:00", ANN)))
    assert len(of(kept, "created")) == 1 and len(of(kept, "resolved")) == 1


def test_m9_the_first_rating_of_a_survey_counts_by_its_send_day() -> None:
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-02-14T17:00"),
            (K.HUMAN_RESPONSE, "2026-02-14T17:01", ANN),
            (K.RESOLVED, "2026-02-14T17:30", ANN),
            (K.CSAT_SENT, "2026-02-14T17:31", None, {"channel": "email"}),
            (K.CSAT_RESPONSE, "2026-02-15T09:00", None, {"rating": 4}),
            (K.CSAT_RESPONSE, "2026-02-15T09:01", None, {"rating": 1}),  # a second click: not a response
            (K.CSAT_NOT_SENT, "2026-02-16T09:00", None, {"reason": "window_closed"}),
        )
    )
    (response,) = of(s, "csat_response")
    assert response.rating == 4 and response.day.isoformat() == "2026-02-14"
    assert len(of(s, "csat_sent")) == 1 and len(of(s, "csat_not_sent")) == 1


# -- properties ----------------------------------------------------------------------------------

KINDS = [
    K.CUSTOMER_MESSAGE,
    K.HUMAN_RESPONSE,
    K.RESOLVED,
    K.REOPENED,
    K.PENDING_ON,
    K.PENDING_OFF,
    K.BOT_HANDOFF,
]


@st.composite
def histories(draw: st.DrawFn) -> list[LogEvent]:
    start = at("2025-09-25T08:00")
    steps = draw(
        st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3 * 24 * 60)), min_size=1, max_size=25)
    )
    moment, found = start, [LogEvent(0, K.CREATED, start)]
    for n, (kind, minutes) in enumerate(steps, start=1):
        moment += timedelta(minutes=minutes)
        found.append(LogEvent(n, kind, moment, ANN if kind == K.HUMAN_RESPONSE else None, uuid.uuid4()))
    return found


@settings(max_examples=150, deadline=None)
@given(histories())
def test_every_duration_is_non_negative_and_business_time_never_exceeds_elapsed_time(
    events: list[LogEvent],
) -> None:
    for sample in run(events, targets(first="3bm", next_="1bd", resolution="3bd"), now="2026-01-01T00:00"):
        if sample.calendar_seconds is not None:
            assert sample.calendar_seconds >= 0 and sample.business_seconds is not None
            assert 0 <= sample.business_seconds <= sample.calendar_seconds + 1e-6
    keys = [(s.metric, s.key) for s in run(events)]
    assert len(keys) == len(set(keys)), "each sample is named once within its ticket"


# -- the anchors' reporting bugs that a derivation can get wrong ------------------------------------


def test_each_metric_is_measured_between_its_own_events_b12() -> None:
    """The anchor's "average first response" widget averaged the resolution time: here each
    metric's sample is bounded by its own events, so no field can stand in for another."""
    s = run(
        log(
            (K.CREATED, "2026-03-02T10:00"),
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.HUMAN_RESPONSE, "2026-03-02T10:10", ANN),
            (K.RESOLVED, "2026-03-02T15:00", ANN),
        )
    )
    first, resolution = one(s, "first_response"), one(s, "resolution_first")
    assert seconds(first) == (600, 600) and (first.start_event_id, first.end_event_id) == (2, 3)
    assert seconds(resolution) == (5 * HOUR, 4 * HOUR)  # less the lunch hour
    assert (resolution.start_event_id, resolution.end_event_id) == (1, 4)


def test_a_sample_counts_on_its_calendars_day_not_the_utc_day_b14() -> None:
    """A report's date range selects samples by ``day``: the day the sample ended on the ticket's
    calendar's wall clock. A reply at 00:30 in Shanghai on 9 October is 8 October in UTC; a range
    ending on the 8th must not hold it (the anchor's dashboard ignored the chosen range)."""
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2025-10-08T23:50"),
            (K.HUMAN_RESPONSE, "2025-10-09T00:30", ANN),
        )
    )
    first = one(s, "first_response")
    assert first.ended_at is not None and first.ended_at.astimezone(UTC).date().isoformat() == "2025-10-08"
    assert first.day.isoformat() == "2025-10-09"
    # Asked on the last holiday's night, answered before the next working day began: no working time.
    assert seconds(first) == (40 * 60, 0)


def test_the_exports_unit_follows_the_toggle_and_samples_carry_both_values_b15() -> None:
    """The anchor's CSV ignored business hours: here the summary export's header names the unit
    its figures were computed in, and a sample export carries both values side by side."""
    zone = ZoneInfo("Asia/Shanghai")
    when = datetime(2026, 3, 9, tzinfo=UTC)
    for calendar_time, unit in ((False, "business seconds"), (True, "calendar seconds")):
        filters = reports.Filters(date(2026, 3, 1), date(2026, 3, 31), calendar_time=calendar_time)
        head = exports.header_block("summary", filters, zone, when)
        assert ["unit", unit] in head
        assert f'"unit": "{unit.replace(" ", "_")}"' in dict((r[0], r[1]) for r in head if r)["filters"]
    assert {"calendar_seconds", "business_seconds", "calendar"} <= set(reports.SAMPLE_FIELDS)


def test_a_response_time_is_never_left_unpopulated_b17() -> None:
    """The anchor's first_response_time fields were 0 on every issue because nothing wrote them:
    every answered wait gives a sample with both values, and a real zero of business time (asked
    and answered on a holiday) is a sample of 0, not a missing one."""
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-02-16T10:00"),  # Spring Festival
            (K.HUMAN_RESPONSE, "2026-02-16T10:20", ANN),
            (K.CUSTOMER_MESSAGE, "2026-02-24T10:00"),  # a working Tuesday
            (K.HUMAN_RESPONSE, "2026-02-24T10:05", BEN),
        )
    )
    first, reply = one(s, "first_response"), one(s, "reply_time")
    assert seconds(first) == (1200, 0) and first.agent_id == ANN
    assert seconds(reply) == (300, 300) and reply.agent_id == BEN


def test_one_survey_logged_twice_at_one_instant_is_one_survey() -> None:
    """Found by the rebuild property test: two sends at the same instant gave two samples under
    one key, and the projection's insert failed on the table's unique key."""
    s = run(
        log(
            (K.CUSTOMER_MESSAGE, "2026-03-02T10:00"),
            (K.RESOLVED, "2026-03-02T10:30", ANN),
            (K.CSAT_SENT, "2026-03-02T10:31"),
            (K.CSAT_SENT, "2026-03-02T10:31"),
            (K.CSAT_RESPONSE, "2026-03-02T10:35", None, {"rating": 5}),
            (K.CSAT_NOT_SENT, "2026-03-02T11:00", None, {"reason": "window_closed"}),
            (K.CSAT_NOT_SENT, "2026-03-02T11:00", None, {"reason": "window_closed"}),
        )
    )
    assert len(of(s, "csat_sent")) == len(of(s, "csat_response")) == len(of(s, "csat_not_sent")) == 1
    assert len({(x.metric, x.key) for x in s}) == len(s)
