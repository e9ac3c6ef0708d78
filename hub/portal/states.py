"""The states of the portal's orders, lines, date proposals, delivery schedules and shipping notices.

Kept apart from the services so the models can name them without importing any use case.
"""

from __future__ import annotations

import enum


class OrderStatus(enum.StrEnum):
    """The ERP's order status, read-only in the portal: a cancelled or closed order keeps its row."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class LineStatus(enum.StrEnum):
    """Where a line stands with the partner (Ariba's accepted / accepted with changes / rejected)."""

    #: Waiting on the partner's confirmation.
    OPEN = "open"
    CONFIRMED = "confirmed"
    #: Confirmed with another date or quantity: waiting on the account manager's decision.
    CHANGES_PROPOSED = "changes_proposed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    #: A newer proposal on the same line took its place.
    SUPERSEDED = "superseded"
    #: The partner is trusted: applied at once, the manager told.
    APPLIED = "applied"


class ScheduleStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class NoticeStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    #: An edit after submission made a new version; this one is kept, read-only.
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


#: Lines a partner may still answer or ship against.
ANSWERABLE = frozenset({LineStatus.OPEN, LineStatus.CONFIRMED, LineStatus.CHANGES_PROPOSED})
SHIPPABLE = frozenset({LineStatus.OPEN, LineStatus.CONFIRMED, LineStatus.CHANGES_PROPOSED})
