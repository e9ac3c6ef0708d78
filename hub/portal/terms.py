"""The words of the portal's quality cases, meetings and action items, in one place.

They live beside the portal rather than in :mod:`hub.domain` because nothing outside the portal
uses them; the tables store each as text under a CHECK constraint (:func:`hub.models.base.str_enum`).
"""

from __future__ import annotations

import enum


class Discipline(enum.StrEnum):
    """The eight disciplines of an 8D report; a case asks the partner for the ones with a due time."""

    D1 = "D1"
    D2 = "D2"
    D3 = "D3"
    D4 = "D4"
    D5 = "D5"
    D6 = "D6"
    D7 = "D7"
    D8 = "D8"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class QualityCaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class QualityStepStatus(enum.StrEnum):
    """A step waits on the partner (``open``, or ``rejected`` back to it) or on the buyer (``answered``)."""

    OPEN = "open"
    ANSWERED = "answered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


#: Steps the partner still owes an answer on.
PARTNER_OWES = frozenset({QualityStepStatus.OPEN, QualityStepStatus.REJECTED})


class MeetingKind(enum.StrEnum):
    WEEKLY_SYNC = "weekly_sync"
    MONTHLY_REVIEW = "monthly_review"


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class ActionItemStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ActionItemSource(enum.StrEnum):
    MEETING = "meeting"
    QUALITY = "quality"
    TICKET = "ticket"
    MANUAL = "manual"


class Side(enum.StrEnum):
    """Whose people own an action item: the company's (buyer) or the partner's."""

    BUYER = "buyer"
    PARTNER = "partner"


class LinkObject(enum.StrEnum):
    """What a single-use link lets its holder act on."""

    QUALITY_STEP = "quality_step"
    ACTION_ITEM = "action_item"
