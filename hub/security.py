"""Passwords, tokens and derived secrets: the primitives, with no storage or HTTP in them."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps a wrong e-mail as slow as a wrong password (no account probing by
    timing). Made on first use, not at import: hashing costs a quarter of a second, which every
    process importing this module (each ``hub`` command) paid, though most never verify a password."""
    return _hasher.hash("not-a-password")


CHANNEL_TOKEN_PREFIX = "hub_ch_"  # noqa: S105 - a prefix, not a secret
PERSONAL_TOKEN_PREFIX = "hub_pat_"  # noqa: S105 - a prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
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


SEALED_PREFIX = "sealed:v1:"


class UnsealError(ValueError):
    """A sealed value could not be opened: another master key (HUB_SECRET_KEY changed) or tampering."""


def _seal_key(master_key: str, purpose: str) -> bytes:
    return hmac.new(master_key.encode(), f"seal:{purpose}".encode(), hashlib.sha256).digest()


def seal(master_key: str, purpose: str, plaintext: str) -> str:
    """Encrypt a channel credential for storage (AES-256-GCM under a key derived from the master key).

    ``purpose`` (e.g. ``channel:<id>:token``) is bound as associated data, so a sealed value copied
    into another field or channel does not open there.
    """
    nonce = secrets.token_bytes(12)
    box = AESGCM(_seal_key(master_key, purpose)).encrypt(nonce, plaintext.encode(), purpose.encode())
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + box).decode()


def unseal(master_key: str, purpose: str, sealed: str) -> str:
    if not sealed.startswith(SEALED_PREFIX):
        raise UnsealError("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(SEALED_PREFIX) :])
        opened = AESGCM(_seal_key(master_key, purpose)).decrypt(raw[:12], raw[12:], purpose.encode())
    except (InvalidTag, ValueError) as exc:
        raise UnsealError("the sealed value does not open with this HUB_SECRET_KEY") from exc
    return opened.decode()
