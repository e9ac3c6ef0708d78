"""Passwords, tokens and derived secrets: the primitives, with no storage or HTTP in them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

#: Verifying against this keeps a wrong e-mail as slow as a wrong password (no account probing by timing).
_DUMMY_HASH = _hasher.hash("not-a-password")

CHANNEL_TOKEN_PREFIX = "hub_ch_"  # noqa: S105 - a prefix, not a secret
PERSONAL_TOKEN_PREFIX = "hub_pat_"  # noqa: S105 - a prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is a safe lookup key (no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def derive_secret(master_key: str, purpose: str) -> str:
    """A per-purpose key from the master secret: nothing extra to store, rotated with the master key."""
    return hmac.new(master_key.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def webhook_secret(master_key: str, channel_id: object) -> str:
    return derive_secret(master_key, f"channel-webhook:{channel_id}")


def sign_body(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
