"""Server-side login sessions in Redis: the cookie holds only a random id, so logout really logs out."""

from __future__ import annotations

import hashlib
import secrets
import uuid

import msgspec
from redis.asyncio import Redis

SESSION_COOKIE = "hub_session"
CSRF_COOKIE = "hub_csrf"
CSRF_HEADER = "x-csrf-token"


class Session(msgspec.Struct):
    user_id: uuid.UUID
    csrf_token: str


class SessionStore:
    def __init__(self, redis: Redis, *, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    @staticmethod
    def _key(session_id: str) -> str:
        return "hub:session:" + hashlib.sha256(session_id.encode()).hexdigest()

    async def create(self, user_id: uuid.UUID) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = Session(user_id=user_id, csrf_token=secrets.token_urlsafe(32))
        await self.redis.set(self._key(session_id), msgspec.json.encode(session), ex=self.ttl)
        return session_id, session

    async def get(self, session_id: str) -> Session | None:
        raw = await self.redis.get(self._key(session_id))
        if raw is None:
            return None
        try:
            return msgspec.json.decode(raw, type=Session)
        except msgspec.ValidationError:
            return None

    async def delete(self, session_id: str) -> None:
        await self.redis.delete(self._key(session_id))
