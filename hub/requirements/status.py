"""The requirement loop's status machine: recorded → accepted → in progress → delivered → confirmed.

Two exits: ``rejected`` (the company will not do it; decided before work starts) and
``cancelled`` (the client withdrew it, or it was recorded by mistake; possible until delivery is
confirmed). One step back: ``delivered → in_progress`` when the client finds the delivery short
and work resumes. Everything else is refused (409), so the history always reads as a loop.
Leaving the happy path needs a reason, kept in the requirement's event log.
"""

from __future__ import annotations

from hub.domain import RequirementStatus

R = RequirementStatus

ALLOWED: dict[RequirementStatus, frozenset[RequirementStatus]] = {
    R.RECORDED: frozenset({R.ACCEPTED, R.REJECTED, R.CANCELLED}),
    R.ACCEPTED: frozenset({R.IN_PROGRESS, R.REJECTED, R.CANCELLED}),
    R.IN_PROGRESS: frozenset({R.DELIVERED, R.CANCELLED}),
    R.DELIVERED: frozenset({R.CONFIRMED, R.IN_PROGRESS, R.CANCELLED}),
    R.CONFIRMED: frozenset(),
    R.REJECTED: frozenset(),
    R.CANCELLED: frozenset(),
}

#: States the loop has left for good.
CLOSED = frozenset(s for s, targets in ALLOWED.items() if not targets)


def can_move(current: RequirementStatus, target: RequirementStatus) -> bool:
    return target in ALLOWED[current]


def needs_reason(current: RequirementStatus, target: RequirementStatus) -> bool:
    """Rejecting, cancelling and sending a delivery back to work must say why."""
    return target in (R.REJECTED, R.CANCELLED) or (current is R.DELIVERED and target is R.IN_PROGRESS)
