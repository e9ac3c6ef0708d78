"""Login bearer tokens: short-lived JWTs (HS256) signed with a key derived from the hub secret."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token

from hub.security import derive_secret

ALGORITHM = "HS256"
ISSUER = "hub"


def _key(master_key: str) -> str:
    return derive_secret(master_key, "login-jwt")


def issue(master_key: str, user_id: uuid.UUID, *, hours: int) -> str:
    token = Token(exp=datetime.now(UTC) + timedelta(hours=hours), sub=str(user_id), iss=ISSUER)
    return token.encode(secret=_key(master_key), algorithm=ALGORITHM)


def verify(master_key: str, encoded: str) -> uuid.UUID | None:
    try:
        token = Token.decode(encoded, secret=_key(master_key), algorithm=ALGORITHM, issuer=ISSUER)
        return uuid.UUID(token.sub)
    except (NotAuthorizedException, ValueError):
        return None
