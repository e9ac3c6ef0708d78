"""The visitor's token, the identity hash of ``HubChat.setUser``, and attachment links.

A visitor token is ``<visitor id>.<HMAC>`` under a key derived from the hub's secret and the
channel: it names one visitor of one channel, needs no storage, and a token of another channel (or
a forged one) does not verify, so it is treated as none. It does not expire: the widget keeps it in
the host page's storage so the visitor keeps their conversation across visits.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from hub.security import derive_secret


def _key(master_key: str, channel_id: uuid.UUID, purpose: str) -> bytes:
    return derive_secret(master_key, f"webchat-{purpose}:{channel_id}").encode()


def _mac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]


def issue(master_key: str, channel_id: uuid.UUID, visitor_id: uuid.UUID) -> str:
    return f"{visitor_id}.{_mac(_key(master_key, channel_id, 'visitor'), str(visitor_id))}"


def read(master_key: str, channel_id: uuid.UUID, token: object) -> uuid.UUID | None:
    """The visitor the token names, or None for anything that is not this channel's token."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 100:
        return None
    visitor, mac = token.split(".")
    try:
        visitor_id = uuid.UUID(visitor)
    except ValueError:
        return None
    expected = _mac(_key(master_key, channel_id, "visitor"), str(visitor_id))
    return visitor_id if hmac.compare_digest(mac, expected) else None


def bearer(headers: object) -> str | None:
    header = str(getattr(headers, "get", lambda *_: "")("authorization", "") or "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def identity_hash(secret: str, user_id: str) -> str:
    """What the integrator's server computes for ``HubChat.setUser``: hex HMAC-SHA256 of the id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identity_verified(secret: str | None, user_id: str, given: object) -> bool:
    if not secret or not isinstance(given, str) or not user_id:
        return False
    return hmac.compare_digest(given.strip().lower(), identity_hash(secret, user_id))


def file_signature(master_key: str, channel_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
    """A link to one attachment is its own capability: an ``<img>`` cannot send the visitor's token."""
    return _mac(_key(master_key, channel_id, "file"), str(attachment_id))
