"""Rate limits shared by every instance, in Redis, so a patient has the same limits whichever
instance the load balancer picks.

A sliding window per key, kept as a sorted set of the message times and checked and counted
in one Lua script (atomic, on Redis's clock). The keys are client addresses and conversation
ids, personal data: Redis only sees an HMAC of them, keyed with a random secret that the
instances share through Redis itself and that never leaves it. When Redis does not answer,
each instance falls back to its own limits (bot/web/rate_limit.py) until Redis is back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any, Optional

from bot.scale.redis_state import RedisState, RedisUnavailable, redis_client
from bot.web.rate_limit import SlidingWindowLimiter

# KEYS: the window. ARGV: limit, window in ms, a unique member. Returns 0 (go ahead, counted)
# or the seconds to wait.
_HIT = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  return math.max(1, math.ceil((oldest + window - now) / 1000))
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class SharedLimiter:
    """Same answers as SlidingWindowLimiter.retry_after, across instances; async."""

    def __init__(
        self,
        client: Any,
        state: RedisState,
        name: str,
        limit: int,
        window_seconds: float = 60.0,
        prefix: str = "clinic-bot:limit:",
    ) -> None:
        self.client = client
        self.redis = state
        self.name = name
        self.limit = int(limit)
        self.window_ms = int(window_seconds * 1000)
        self.prefix = prefix
        self.local = SlidingWindowLimiter(limit, window_seconds)
        self._hit = client.register_script(_HIT)
        self._secret: Optional[bytes] = None

    async def retry_after(self, key: str) -> Optional[int]:
        try:
            secret = await self._shared_secret()
            digest = hmac.new(secret, key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
            wait = await self.redis.call(
                self._hit(
                    keys=[f"{self.prefix}{self.name}:{digest}"], args=[self.limit, self.window_ms, uuid.uuid4().hex]
                )
            )
        except RedisUnavailable:
            return self.local.retry_after(key)
        return int(wait) or None

    async def _shared_secret(self) -> bytes:
        if self._secret is None:
            key = f"{self.prefix}secret"
            # The first instance to get here sets it; every other one reads the same value.
            await self.redis.call(self.client.set(key, secrets.token_hex(32), nx=True))
            value = await self.redis.call(self.client.get(key))
            if value is None:
                raise RedisUnavailable()
            self._secret = value if isinstance(value, bytes) else str(value).encode()
        return self._secret


def shared_limiters(redis_url: str, per_address: int, per_conversation: int) -> tuple:
    """The web channel's two limiters, sharing one Redis client and one view of its state."""
    state = RedisState("rate_limit", timeout_seconds=0.25, retry_seconds=5.0)
    client = redis_client(redis_url, state.timeout)
    return (
        SharedLimiter(client, state, "address", per_address),
        SharedLimiter(client, state, "conversation", per_conversation),
        state,
    )
