"""The survey's link token: the survey id signed with a key derived from ``HUB_SECRET_KEY``.

Nothing extra is stored: the signature proves the link came from us, the survey row says whether
it is still open (one answer, 28 days, not after the ticket closed), so a used link is spent.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from hub.security import derive_secret

_PURPOSE = "csat-survey"
_SIGNATURE_CHARS = 32


def _signature(master_key: str, survey_id: uuid.UUID) -> str:
    key = derive_secret(master_key, _PURPOSE).encode()
    return hmac.new(key, survey_id.bytes, hashlib.sha256).hexdigest()[:_SIGNATURE_CHARS]


def sign(master_key: str, survey_id: uuid.UUID) -> str:
    return survey_id.hex + _signature(master_key, survey_id)


def read(master_key: str, token: str) -> uuid.UUID | None:
    """The survey a token names, or None for anything we did not sign."""
    if len(token) != 32 + _SIGNATURE_CHARS:
        return None
    try:
        survey_id = uuid.UUID(hex=token[:32])
    except ValueError:
        return None
    if not hmac.compare_digest(token[32:], _signature(master_key, survey_id)):
        return None
    return survey_id
