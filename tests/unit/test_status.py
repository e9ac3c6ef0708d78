"""The ticket status machine: which moves people may make and the typed events each move writes."""

from __future__ import annotations

import itertools

import pytest

from hub.domain import TicketEventKind as E
from hub.domain import TicketStatus as S
from hub.tickets.status import can_move, events_for

#: The agreed moves, each with the typed events it writes; a move not in the table is refused.
EXPECTED_EVENTS = {
    (S.NEW, S.OPEN): [],
    (S.NEW, S.PENDING): [E.PENDING_ON],
    (S.NEW, S.RESOLVED): [E.RESOLVED],
    # Closing an unresolved ticket resolves it: without RES the resolution metrics lose the ticket.
    (S.NEW, S.CLOSED): [E.RESOLVED, E.CLOSED],
    (S.OPEN, S.PENDING): [E.PENDING_ON],
    (S.OPEN, S.RESOLVED): [E.RESOLVED],
    (S.OPEN, S.CLOSED): [E.RESOLVED, E.CLOSED],
    (S.PENDING, S.OPEN): [E.PENDING_OFF],
    (S.PENDING, S.RESOLVED): [E.PENDING_OFF, E.RESOLVED],
    (S.PENDING, S.CLOSED): [E.PENDING_OFF, E.RESOLVED, E.CLOSED],
    (S.RESOLVED, S.OPEN): [E.REOPENED],
    # Already resolved: closing it is not a second resolution.
    (S.RESOLVED, S.CLOSED): [E.CLOSED],
    (S.CLOSED, S.OPEN): [E.REOPENED],
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_only_the_agreed_moves_are_allowed(current: S, target: S) -> None:
    assert can_move(current, target) is ((current, target) in EXPECTED_EVENTS)


def test_nothing_goes_back_to_new() -> None:
    assert not any(can_move(current, S.NEW) for current in S)


def test_a_closed_ticket_can_only_be_reopened() -> None:
    assert [t for t in S if can_move(S.CLOSED, t)] == [S.OPEN]


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_EVENTS, key=lambda m: (m[0], m[1])))
def test_each_move_writes_its_typed_events(current: S, target: S) -> None:
    assert events_for(current, target) == EXPECTED_EVENTS[(current, target)]


def test_pending_intervals_are_always_closed() -> None:
    """Every move out of pending ends the wait, so active-resolution time never leaks a pause."""
    for target in S:
        if can_move(S.PENDING, target):
            assert E.PENDING_OFF in events_for(S.PENDING, target)
