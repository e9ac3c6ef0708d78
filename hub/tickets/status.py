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

#: States in which the client's question counts as answered (Zendesk's solved and closed).
RESOLVED_CATEGORY = frozenset({S.RESOLVED, S.CLOSED})


def can_move(current: TicketStatus, target: TicketStatus) -> bool:
    return target in ALLOWED[current]


def events_for(current: TicketStatus, target: TicketStatus) -> list[TicketEventKind]:
    """Typed events a move produces, besides the generic status change.

    Closing a ticket that was never resolved also resolves it (``_move`` sets ``resolved_at`` too):
    resolution metrics and "resolved" volumes count RES events, so a ticket closed straight from
    open must not vanish from them.
    """
    events: list[TicketEventKind] = []
    if current is S.PENDING:
        events.append(TicketEventKind.PENDING_OFF)
    if target is S.PENDING:
        events.append(TicketEventKind.PENDING_ON)
    if target is S.RESOLVED or (target is S.CLOSED and current not in RESOLVED_CATEGORY):
        events.append(TicketEventKind.RESOLVED)
    if target is S.CLOSED:
        events.append(TicketEventKind.CLOSED)
    if current in RESOLVED_CATEGORY and target is S.OPEN:
        events.append(TicketEventKind.REOPENED)
    return events
