"""One access token per app, shared by every process through Redis; only one process refreshes.

WeChat invalidates the previous token (after a 5-minute overlap) each time anyone fetches a new
one, and allows 2,000 fetches a day. Processes that each fetch their own (wechatpy's per-process
storage) knock out each other's tokens: sporadic 40001s. Here the token lives in Redis, refreshed
5 minutes before it expires, under a lock (``SET NX PX``, released only by its owner): the process
that wins fetches; the others wait for the new value. A caller whose token WeChat just refused
passes it as ``stale``: if another process already replaced it, the new one is used, no fetch.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable

import msgspec
from redis.asyncio import Redis

from channels.wechat.config import WeChatConfig

#: Refresh this long before WeChat's expiry, inside the 5-minute overlap of old and new tokens.
EARLY_REFRESH_SECONDS = 300
LOCK_SECONDS = 15.0
POLL_SECONDS = 0.05
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

Fetch = Callable[[WeChatConfig], Awaitable[tuple[str, int]]]


class TokenUnavailable(Exception):
    """No token within the wait: another process holds the refresh lock and did not finish."""


class _Cached(msgspec.Struct):
    token: str
    expires_at: float


class TokenCache:
    def __init__(self, redis: Redis, fetch: Fetch, *, prefix: str = "hub:wechat") -> None:
        self.redis = redis
        self.fetch = fetch
        self.prefix = prefix

    def _key(self, config: WeChatConfig) -> str:
        return f"{self.prefix}:token:{config.app_id}"

    async def _cached(self, config: WeChatConfig) -> str | None:
        raw = await self.redis.get(self._key(config))
        if raw is None:
            return None
        value = msgspec.json.decode(raw, type=_Cached)
        return value.token if value.expires_at - time.time() > EARLY_REFRESH_SECONDS else None

    async def get(self, config: WeChatConfig, *, stale: str | None = None) -> str:
        """A valid token; with ``stale``, one different from the token WeChat refused."""
        lock = f"{self.prefix}:token-lock:{config.app_id}"
        deadline = time.monotonic() + LOCK_SECONDS + 1
        while True:
            token = await self._cached(config)
            if token is not None and token != stale:
                return token
            owner = secrets.token_hex(8)
            if await self.redis.set(lock, owner, nx=True, px=int(LOCK_SECONDS * 1000)):
                try:
                    token = await self._cached(config)  # refreshed while we asked for the lock
                    if token is not None and token != stale:
                        return token
                    token, expires_in = await self.fetch(config)
                    value = _Cached(token=token, expires_at=time.time() + expires_in)
                    ttl = max(int(expires_in) - EARLY_REFRESH_SECONDS, 1)
                    await self.redis.set(self._key(config), msgspec.json.encode(value), ex=ttl)
                    return token
                finally:
                    await self.redis.eval(_RELEASE, 1, lock, owner)  # type: ignore[misc]
            if time.monotonic() > deadline:
                raise TokenUnavailable(
                    f"no access token for {config.app_id}: another process is refreshing it"
                )
            await asyncio.sleep(POLL_SECONDS)

    async def forget(self, config: WeChatConfig) -> None:
        await self.redis.delete(self._key(config))
