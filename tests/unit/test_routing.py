"""Who gets a new ticket (hub.intake.routing.choose_assignee), without a database."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hub.domain import Presence
from hub.intake.routing import Candidate, choose_assignee

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def person(
    *,
    presence: Presence = Presence.AVAILABLE,
    active: bool = True,
    load: int = 0,
    capacity: int = 0,
    last: datetime | None = None,
) -> Candidate:
    return Candidate(uuid.uuid4(), presence, active, load, capacity, last)


def test_the_account_manager_takes_their_clients_ticket() -> None:
    manager, backup = person(load=9), person()
    choice = choose_assignee(manager, backup, [person(), person()])
    assert choice.user_id == manager.user_id
    assert choice.reason == "account manager"


def test_the_backup_takes_over_when_the_manager_is_away() -> None:
    manager, backup = person(presence=Presence.AWAY), person()
    choice = choose_assignee(manager, backup, [person()])
    assert choice.user_id == backup.user_id
    assert "away" in choice.reason


def test_the_backup_takes_over_when_the_manager_is_offline_or_inactive() -> None:
    backup = person()
    assert choose_assignee(person(presence=Presence.OFFLINE), backup, []).user_id == backup.user_id
    assert choose_assignee(person(active=False), backup, []).user_id == backup.user_id


def test_the_backup_takes_over_when_the_manager_is_at_capacity() -> None:
    manager, backup = person(load=3, capacity=3), person()
    choice = choose_assignee(manager, backup, [])
    assert choice.user_id == backup.user_id
    assert "capacity" in choice.reason


def test_capacity_zero_means_no_limit() -> None:
    manager = person(load=500, capacity=0)
    assert choose_assignee(manager, None, []).user_id == manager.user_id


def test_the_team_takes_it_when_manager_and_backup_cannot() -> None:
    light, heavy = person(load=1), person(load=4)
    choice = choose_assignee(person(presence=Presence.AWAY), person(load=2, capacity=2), [heavy, light])
    assert choice.user_id == light.user_id
    assert choice.reason == "least-loaded available agent of the team"


def test_least_loaded_available_agent_wins_and_unavailable_ones_are_skipped() -> None:
    idle_but_away = person(presence=Presence.AWAY)
    idle_but_inactive = person(active=False)
    full = person(load=1, capacity=1)
    busy = person(load=5)
    less_busy = person(load=2)
    choice = choose_assignee(None, None, [idle_but_away, idle_but_inactive, full, busy, less_busy])
    assert choice.user_id == less_busy.user_id


def test_equal_loads_go_to_whoever_was_assigned_longest_ago() -> None:
    recent = person(load=2, last=T0)
    earlier = person(load=2, last=T0 - timedelta(hours=1))
    never = person(load=2, last=None)
    assert choose_assignee(None, None, [recent, earlier, never]).user_id == never.user_id
    assert choose_assignee(None, None, [recent, earlier]).user_id == earlier.user_id


def test_round_robin_over_equal_loads() -> None:
    """Assigning, then resolving, repeatedly cycles through the team instead of picking one person."""
    team = [person(last=T0 + timedelta(minutes=i)) for i in range(3)]
    oldest_first = [c.user_id for c in team]
    picked = []
    for step in range(6):
        choice = choose_assignee(None, None, team)
        picked.append(choice.user_id)
        now = T0 + timedelta(hours=1, minutes=step)
        team = [
            Candidate(c.user_id, c.presence, c.is_active, c.open_tickets, c.capacity, now)
            if c.user_id == choice.user_id
            else c
            for c in team
        ]
    assert picked == oldest_first + oldest_first


def test_nobody_available_leaves_the_ticket_unassigned() -> None:
    choice = choose_assignee(
        person(presence=Presence.AWAY),
        person(active=False),
        [person(presence=Presence.OFFLINE), person(load=1, capacity=1)],
    )
    assert choice.user_id is None
    assert choice.reason == "no available agent in the team"


def test_an_empty_team_and_no_managers_leaves_it_unassigned() -> None:
    assert choose_assignee(None, None, []).user_id is None


candidates = st.builds(
    Candidate,
    user_id=st.just(uuid.UUID(int=0)),  # replaced by a unique id in the test
    presence=st.sampled_from(Presence),
    is_active=st.booleans(),
    open_tickets=st.integers(min_value=0, max_value=20),
    capacity=st.integers(min_value=0, max_value=20),
    last_assigned_at=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@given(manager=st.none() | candidates, backup=st.none() | candidates, team=st.lists(candidates, max_size=8))
def test_the_choice_is_always_someone_who_can_take_it_and_never_overloads(
    manager: Candidate | None, backup: Candidate | None, team: list[Candidate]
) -> None:
    ids = (uuid.UUID(int=i) for i in range(1, 100))
    manager, backup = (dataclasses.replace(c, user_id=next(ids)) if c else None for c in (manager, backup))
    team = [dataclasses.replace(c, user_id=next(ids)) for c in team]
    choice = choose_assignee(manager, backup, team)
    everyone = {c.user_id: c for c in [*team, backup, manager] if c is not None}
    available_team = [c for c in team if c.can_take]
    if choice.user_id is None:
        assert not any(c.can_take for c in everyone.values())
        return
    chosen = everyone[choice.user_id]
    assert chosen.can_take
    if manager is not None and manager.can_take:
        assert choice.user_id == manager.user_id
    elif backup is not None and backup.can_take:
        assert choice.user_id == backup.user_id
    else:
        assert chosen in available_team
        assert not any(c.open_tickets < chosen.open_tickets for c in available_team)


def test_someone_outside_their_working_hours_takes_no_new_ticket() -> None:
    manager, backup = person(), person()
    off_duty = dataclasses.replace(manager, in_hours=False)
    choice = choose_assignee(off_duty, backup, [])
    assert choice.user_id == backup.user_id
    assert choice.reason == "backup: account manager outside working hours"
    team = [dataclasses.replace(person(), in_hours=False), person(load=7)]
    assert choose_assignee(None, None, team).user_id == team[1].user_id
    assert choose_assignee(None, None, team[:1]).user_id is None


def test_presence_is_reported_before_working_hours() -> None:
    away_and_off_duty = dataclasses.replace(person(presence=Presence.AWAY), in_hours=False)
    assert away_and_off_duty.why_not == "away"
