"""TOTP codes that can be used once (RFC 6238 §5.2).

pyotp's ``verify`` answers only "valid now"; a code seen over a shoulder or lifted from a phishing
page would then work again for the rest of its window. So we find *which* time step a code belongs
to and accept it only when that step is later than the last one the user spent.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

#: Steps either side of now a code may come from: clocks of phones drift, people type slowly.
DRIFT_STEPS = 1


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (30 s period number) whose code this is, near ``now``, or None."""
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    candidate = code.strip()
    if not (candidate.isascii() and candidate.isdigit()):
        return None  # compare_digest refuses non-ASCII text; no such code is ever right anyway
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), candidate):
            return step
    return None


def spend(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step to record as spent when the code is valid and not used before, else None."""
    step = matching_step(secret, code, now)
    if step is None or (last_step is not None and step <= last_step):
        return None
    return step
