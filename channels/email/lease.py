"""A Redis lock with a lease: one worker replica watches a mailbox at a time.

Held by a random token, taken with ``SET NX PX`` and renewed (only by its holder, atomically) well
before it lapses. A replica that dies stops renewing and another takes over within one lease; a
holder that cannot renew (Redis unreachable, lease expired while it was stalled) must stop
watching, because another replica may already have started.
"""

from __future__ import annotations

import contextlib
import uuid

from redis.asyncio import Redis

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class LeaseLost(Exception):
    """Another replica may hold the lock now: stop the work it guards."""


class Lease:
    def __init__(self, redis: Redis, key: str, seconds: float) -> None:
        self.redis = redis
        self.key = key
        self.seconds = seconds
        self.token = uuid.uuid4().hex
        self.held = False

    @property
    def _ms(self) -> int:
        return max(int(self.seconds * 1000), 1)

    async def acquire(self) -> bool:
        self.held = bool(await self.redis.set(self.key, self.token, nx=True, px=self._ms))
        return self.held

    async def renew(self) -> None:
        """Extend the lease; :class:`LeaseLost` when it is no longer ours."""
        renewed = await self.redis.eval(_RENEW, 1, self.key, self.token, str(self._ms))  # type: ignore[misc]
        if not renewed:
            self.held = False
            raise LeaseLost(self.key)

    async def release(self) -> None:
        if not self.held:
            return
        self.held = False
        with contextlib.suppress(Exception):  # it lapses on its own within one lease
            await self.redis.eval(_RELEASE, 1, self.key, self.token)  # type: ignore[misc]
