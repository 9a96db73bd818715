"""A fair, crash-safe lock per conversation in Redis, shared by every instance of the bot.

Each message takes a ticket; tickets are served in the order they were issued. Why not
Rasa's `RedisLockStore`: it reads the ticket list, changes it in Python and writes it back,
so two instances a few milliseconds apart both believe they hold the lock (RasaHQ/rasa#9213),
and a killed holder's ticket blocks the conversation for the whole lock lifetime. Here:

- every change is one Lua script, so Redis runs it atomically: no read-modify-write race;
- every ticket carries a lease (a deadline on Redis's own clock, so the instances' clocks do
  not matter). Its owner renews it while it waits or holds the lock; a ticket whose lease ran
  out (its process was killed) is skipped by the next one in line. With the default lease of
  1.5 s the conversation of a killed holder is answered again within 3 s;
- conversation ids are hashed into the key names: Redis never sees one.

Only the Redis protocol lives here; the Rasa adapter (local locks, fallback, health) is
bot/scale/lock_store.py.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

# A ticket is a random token chosen by its owner, so that the owner knows it even when Redis's
# answer is lost (a timeout), and can still hand it back; a counter gives its place in line.
# KEYS: counter, queue (token scored by place), leases (token -> deadline in ms).
# ARGV: token, lease in ms, idle expiry in ms.
_TAKE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local place = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], place, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[2]))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return place
"""

# KEYS: counter, queue, leases. ARGV: token, lease in ms, idle expiry in ms.
# Renews the ticket's lease and drops expired tickets ahead of it.
# Returns 1 if the ticket is first in line (holds the lock), 0 if a live ticket is ahead,
# -1 if the ticket itself expired (its owner stalled longer than the lease).
_POLL = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return -1
end
redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[2]))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if head == false or head == nil then return -1 end
  if head == ARGV[1] then return 1 end
  local deadline = tonumber(redis.call('HGET', KEYS[3], head))
  if deadline ~= nil and deadline >= now then return 0 end
  redis.call('ZREM', KEYS[2], head)
  redis.call('HDEL', KEYS[3], head)
end
"""

# KEYS: queue, leases. ARGV: token.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

HELD = 1
WAITING = 0
EXPIRED = -1


class RedisTickets:
    """The ticket protocol over a `redis.asyncio` client. Every method is one round trip."""

    def __init__(self, client: Any, prefix: str = "clinic-bot:lock:", lease_ms: int = 1500) -> None:
        self.client = client
        self.prefix = prefix
        self.lease_ms = int(lease_ms)
        # Keys of a conversation nobody has written to for this long disappear by themselves.
        self.idle_ms = max(60_000, 20 * self.lease_ms)
        self._take = client.register_script(_TAKE)
        self._poll = client.register_script(_POLL)
        self._release = client.register_script(_RELEASE)

    def keys(self, conversation_id: str) -> tuple:
        digest = hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:32]
        # The hash tag {...} keeps a conversation's three keys in one slot on a Redis Cluster.
        base = f"{self.prefix}{{{digest}}}"
        return base + ":seq", base + ":queue", base + ":leases"

    @staticmethod
    def new_ticket() -> str:
        return uuid.uuid4().hex

    async def take(self, conversation_id: str, ticket: str) -> None:
        """Puts `ticket` (from new_ticket) at the end of the conversation's line."""
        await self._take(keys=self.keys(conversation_id), args=[ticket, self.lease_ms, self.idle_ms])

    async def poll(self, conversation_id: str, ticket: str) -> int:
        """HELD, WAITING or EXPIRED; renews the ticket's lease."""
        return int(await self._poll(keys=self.keys(conversation_id), args=[ticket, self.lease_ms, self.idle_ms]))

    async def release(self, conversation_id: str, ticket: str) -> None:
        _, queue, leases = self.keys(conversation_id)
        await self._release(keys=[queue, leases], args=[ticket])
