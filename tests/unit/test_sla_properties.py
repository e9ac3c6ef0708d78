"""Properties of the SLA clocks over random event logs (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hub.calendars.durations import parse_duration
from hub.sla.clock import ClockState, compute_clocks
from hub.sla.policy_choice import SlaTargets
from hub.sla.span import measure, reach
from hub.sla.targets import ClockStatus as S
from hub.sla.targets import Target
from tests.unit.calendar_helpers import CN
from tests.unit.sla_helpers import Ev, K

SPECS = ["3bm", "30bm", "2bh", "1bd", "3bd", "45m", "24h"]
CLOCK_KINDS = [
    K.CUSTOMER_MESSAGE,
    K.CUSTOMER_MESSAGE,
    K.CUSTOMER_MESSAGE,
    K.HUMAN_RESPONSE,
    K.HUMAN_RESPONSE,
    K.PENDING_ON,
    K.PENDING_OFF,
    K.RESOLVED,
    K.REOPENED,
    K.CLOSED,
]
NOISE = [
    K.NOTE,
    K.AUTO_MESSAGE,
    K.ASSIGNED,
    K.UNASSIGNED,
    K.STATUS_CHANGED,
    K.TAGS_CHANGED,
    K.DELIVERY_FAILED,
]
FAST = settings(max_examples=150, deadline=None)

starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
gaps = st.integers(min_value=0, max_value=3 * 24 * 60).map(lambda m: timedelta(minutes=m))
specs = st.one_of(st.none(), st.sampled_from(SPECS).map(parse_duration))
policies = st.builds(SlaTargets, first_response=specs, next_response=specs, resolution=specs)


@st.composite
def logs(draw: st.DrawFn, kinds: list[K] = CLOCK_KINDS) -> list[Ev]:
    at = draw(starts)
    events = [Ev(K.CREATED, at), Ev(K.CUSTOMER_MESSAGE, at)]
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=14)):
        at += draw(gaps)
        events.append(Ev(kind, at))
    return events


def _end(events: list[Ev]) -> datetime:
    return events[-1].at


def _by_key(state: ClockState) -> dict[str, object]:
    return {c.key: c for c in state.clocks}


@FAST
@given(logs(), policies, gaps)
def test_due_instants_never_precede_their_start_and_warnings_come_first(events, policy, later) -> None:
    state = compute_clocks(events, policy, CN, _end(events) + later)
    for clock in state.clocks:
        if clock.due_at is not None:
            assert clock.due_at >= clock.started_at
            if clock.warn_at is not None:
                assert clock.started_at <= clock.warn_at <= clock.due_at
        assert (clock.state is S.PAUSED) == (clock.remaining is not None)


@FAST
@given(logs(), policies, gaps)
def test_keys_are_unique_and_states_agree_with_the_instants(events, policy, later) -> None:
    now = _end(events) + later
    state = compute_clocks(events, policy, CN, now)
    assert len(_by_key(state)) == len(state.clocks)
    for clock in state.clocks:
        if clock.state is S.MET:
            assert clock.met_at is not None and (clock.due_at is None or clock.met_at <= clock.due_at)
        if clock.state is S.BREACHED:
            assert clock.due_at is not None
            assert clock.due_at < (clock.met_at or clock.ended_at or now)
        if clock.state is S.ACTIVE:
            assert clock.due_at is not None and clock.due_at >= now and clock.met_at is None


@FAST
@given(logs(), policies, st.data())
def test_notes_auto_messages_and_assignments_change_nothing(events, policy, data) -> None:
    noisy = list(events)
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(1, len(noisy)))
        at = noisy[index - 1].at
        noisy.insert(index, Ev(data.draw(st.sampled_from(NOISE)), at))
    now = _end(events) + timedelta(hours=1)
    assert compute_clocks(noisy, policy, CN, now) == compute_clocks(events, policy, CN, now)


@FAST
@given(
    logs([k for k in CLOCK_KINDS if k not in (K.PENDING_ON, K.PENDING_OFF)]),
    policies,
    st.data(),
)
def test_pausing_never_brings_a_due_instant_forward(events, policy, data) -> None:
    now = _end(events) + timedelta(days=2)
    before = _by_key(compute_clocks(events, policy, CN, now))
    on = data.draw(st.integers(1, len(events)))
    off = data.draw(st.integers(on, len(events)))
    paused = list(events)
    paused.insert(
        off, Ev(K.PENDING_OFF, events[off - 1].at + timedelta(minutes=data.draw(st.integers(0, 600))))
    )
    paused.insert(on, Ev(K.PENDING_ON, events[on - 1].at))
    paused.sort(key=lambda e: e.at)
    after = _by_key(compute_clocks(paused, policy, CN, now))
    assert after.keys() == before.keys()
    for key, clock in after.items():
        original = before[key]
        if clock.due_at is not None and original.due_at is not None:
            assert clock.due_at >= original.due_at, key
        if original.state is S.MET:
            assert clock.state is S.MET, key


@FAST
@given(logs(), policies, st.data())
def test_a_human_response_before_the_due_instant_meets_every_open_response(events, policy, data) -> None:
    events = [*events, Ev(K.CUSTOMER_MESSAGE, _end(events) + data.draw(gaps))]  # someone is waiting
    now = _end(events)
    state = compute_clocks(events, policy, CN, now)
    waiting = [
        c
        for c in state.clocks
        if c.target is not Target.RESOLUTION and c.state is S.ACTIVE and c.due_at is not None
    ]
    assume(waiting and state.paused_since is None)
    deadline = min(c.due_at for c in waiting)
    answer = now + (deadline - now) * data.draw(st.floats(0, 1))
    answered = compute_clocks([*events, Ev(K.HUMAN_RESPONSE, answer)], policy, CN, answer)
    found = _by_key(answered)
    for clock in waiting:
        assert found[clock.key].state is S.MET


@FAST
@given(logs(), policies, gaps, gaps)
def test_time_only_moves_clocks_forward(events, policy, first, second) -> None:
    early = compute_clocks(events, policy, CN, _end(events) + first)
    late = _by_key(compute_clocks(events, policy, CN, _end(events) + first + second))
    for clock in early.clocks:
        if clock.state in (S.BREACHED, S.MET, S.VOID):
            assert late[clock.key].state is clock.state


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime]]:
    pauses, at = [], start - timedelta(days=1)
    for _ in range(draw(st.integers(0, 4))):
        on = at + draw(gaps)
        off = on + draw(gaps)
        pauses.append((on, off))
        at = off + timedelta(minutes=1)
    return pauses


@FAST
@given(starts, st.sampled_from(SPECS).map(parse_duration), st.data())
def test_the_active_time_up_to_the_due_instant_is_exactly_the_promise(start, spec, data) -> None:
    pauses = data.draw(pause_lists(start))
    length = spec.length(CN.business_day)
    due = reach(CN, spec.business, start, length, pauses).at
    assert due is not None and due >= start
    active, cursor = timedelta(), start
    for on, off in [*pauses, (due, due)]:
        if off <= cursor:
            continue
        if on > cursor:
            active += measure(CN, spec.business, cursor, min(on, due))
        cursor = max(cursor, off)
        if cursor >= due:
            break
    assert active == length
