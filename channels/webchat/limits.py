"""Rate limits of the widget's writes, in Redis so every web process counts together.

Fixed one-minute windows per key (a visitor, an address); the window starts with the first
request. A Lua script counts every key and says how long the first exhausted one still lasts, in
one round trip (``EXPIRE ... NX`` would need Redis 7; the embedded one is 6.2).
"""

from __future__ import annotations

from redis.asyncio import Redis

WINDOW_SECONDS = 60
_SPEND = """
local wait = 0
for i, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 then
        redis.call('EXPIRE', key, ARGV[1])
    end
    if count > tonumber(ARGV[i + 1]) and wait == 0 then
        wait = redis.call('TTL', key)
        if wait < 1 then wait = 1 end
    end
end
return wait
"""


class Limits:
    def __init__(self, redis: Redis) -> None:
        self._spend = redis.register_script(_SPEND)

    async def spend(self, budgets: dict[str, int]) -> int:
        """Count one request against each key; seconds to wait when one is over its budget, else 0."""
        keys = list(budgets)
        wait = await self._spend(
            keys=[f"hub:webchat:rate:{k}" for k in keys], args=[WINDOW_SECONDS, *budgets.values()]
        )
        return int(wait)
