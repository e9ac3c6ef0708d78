"""Failed-login throttling in Redis, shared by every web process.

Counts failures per (client address, account) and per client address alone (ten times the budget,
against password spraying), in fixed 15-minute windows started by the first failure. A Lua script
makes count-and-expire atomic (``EXPIRE ... NX`` would need Redis 7; the embedded one is 6.2).
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

WINDOW_SECONDS = 15 * 60
_SPRAY_FACTOR = 10
_COUNT_FAILURE = """
for i, key in ipairs(KEYS) do
    if redis.call('INCR', key) == 1 then
        redis.call('EXPIRE', key, ARGV[1])
    end
end
return 1
"""


class LoginThrottle:
    def __init__(self, redis: Redis, *, attempts: int) -> None:
        self.redis = redis
        self.attempts = attempts
        self._count_failure = redis.register_script(_COUNT_FAILURE)

    @staticmethod
    def _keys(address: str, email: str) -> tuple[str, str]:
        account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
        return f"hub:login-fail:{address}:{account}", f"hub:login-fail:{address}"

    async def retry_after(self, address: str, email: str) -> int:
        """Seconds until this client may try again, or 0 if it may try now."""
        account_key, address_key = self._keys(address, email)
        counts = await self.redis.mget(account_key, address_key)
        account_count, address_count = (int(c or 0) for c in counts)
        if account_count >= self.attempts:
            return max(await self.redis.ttl(account_key), 1)
        if address_count >= self.attempts * _SPRAY_FACTOR:
            return max(await self.redis.ttl(address_key), 1)
        return 0

    async def failed(self, address: str, email: str) -> None:
        await self._count_failure(keys=list(self._keys(address, email)), args=[WINDOW_SECONDS])

    async def succeeded(self, address: str, email: str) -> None:
        await self.redis.delete(self._keys(address, email)[0])
