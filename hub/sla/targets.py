"""What a ticket is promised, and where each promise stands."""

from __future__ import annotations

import enum


class Target(enum.StrEnum):
    """The three ticket targets: first response, next response (every later wait) and resolution."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class ClockStatus(enum.StrEnum):
    """Where one target instance stands; every kind of target (ticket clocks, deadlines) uses these.

    ``void``: the cycle ended (resolved, closed, merged) before the target was met or due; such an
    instance is neither met nor breached and counts in no compliance figure.
    """

    ACTIVE = "active"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    VOID = "void"
