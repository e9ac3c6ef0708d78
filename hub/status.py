"""The ticket status machine: which moves a person may make, and the events each move means."""

from __future__ import annotations

from hub.domain import TicketEventKind, TicketStatus

S = TicketStatus

ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.PENDING, S.RESOLVED, S.CLOSED}),
    S.PENDING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}


def can_move(current: TicketStatus, target: TicketStatus) -> bool:
    return target in ALLOWED[current]


def events_for(current: TicketStatus, target: TicketStatus) -> list[TicketEventKind]:
    """Typed events a move produces, besides the generic status change."""
    events: list[TicketEventKind] = []
    if current is S.PENDING:
        events.append(TicketEventKind.PENDING_OFF)
    if target is S.PENDING:
        events.append(TicketEventKind.PENDING_ON)
    if target is S.RESOLVED:
        events.append(TicketEventKind.RESOLVED)
    if target is S.CLOSED:
        events.append(TicketEventKind.CLOSED)
    if current in (S.RESOLVED, S.CLOSED) and target is S.OPEN:
        events.append(TicketEventKind.REOPENED)
    return events
