"""The lock store for several instances: one conversation is answered by one instance at a time.

Configured in deploy/endpoints.yml (the scale-out profile), with Redis at BOT_REDIS_URL:

    lock_store:
      type: bot.scale.lock_store.ClinicLockStore
      lease_seconds: 1.5

How a message gets its conversation's lock:
1. a lock in this process (FIFO, in memory, bot/scale/local_turns.py): messages of one
   conversation that reach the same instance queue there and never poll Redis against each
   other;
2. then a ticket in Redis (bot/scale/tickets.py), atomic and leased, so another instance's
   message waits its turn and a killed instance's ticket expires within the lease.

If Redis does not answer within `redis_timeout_seconds`, the message goes ahead with the
process lock alone and Redis is left alone for `retry_seconds`: a patient, and a patient in
crisis above all, never waits on Redis. Two instances may then answer one conversation at the
same time; the tracker store serialises their saves (bot/storage/tracker_store.py) and
/health says "degraded" until Redis answers again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Dict, List, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

from bot.scale.local_turns import LocalTurns
from bot.scale.redis_state import RedisState, RedisUnavailable, redis_client, redis_errors
from bot.scale.tickets import EXPIRED, HELD, RedisTickets

logger = logging.getLogger(__name__)

# Waiting for a turn polls Redis, first often (a turn takes ~50 ms), then less.
FIRST_POLL_SECONDS = 0.005
LONGEST_POLL_SECONDS = 0.05
RELEASE_RETRY_SECONDS = 0.2


class ClinicLockStore(LockStore):
    def __init__(
        self,
        endpoint_config: Any = None,
        *,
        redis_url: Optional[str] = None,
        lease_seconds: float = 1.5,
        redis_timeout_seconds: float = 0.25,
        retry_seconds: float = 5.0,
        key_prefix: str = "clinic-bot:lock:",
    ) -> None:
        options: Dict[str, Any] = dict(getattr(endpoint_config, "kwargs", None) or {})
        if redis_url is None:
            from bot.settings import SettingsError
            from bot.settings import from_env as settings_from_env

            redis_url = settings_from_env(os.environ).redis_url
            if not redis_url:
                raise SettingsError("BOT_REDIS_URL must name the Redis server shared by the instances")
        self.lease_seconds = float(options.get("lease_seconds", lease_seconds))
        self.redis = RedisState(
            "lock",
            timeout_seconds=float(options.get("redis_timeout_seconds", redis_timeout_seconds)),
            retry_seconds=float(options.get("retry_seconds", retry_seconds)),
        )
        self.client = redis_client(redis_url, self.redis.timeout)
        self.tickets = RedisTickets(
            self.client, prefix=str(options.get("key_prefix", key_prefix)), lease_ms=int(self.lease_seconds * 1000)
        )
        self._turns = LocalTurns()
        self._tasks: List[asyncio.Task] = []
        super().__init__()

    # -- health ------------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """For GET /health: no I/O."""
        return self.redis.health("locks are per instance")

    # -- Rasa's interface ----------------------------------------------------------------------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        async with self._turns.turn(conversation_id, lock_lifetime):
            async with self._redis_turn(conversation_id, lock_lifetime):
                yield TicketLock(conversation_id)

    # -- Redis ---------------------------------------------------------------------------------

    @asynccontextmanager
    async def _redis_turn(self, conversation_id: str, lock_lifetime: float) -> AsyncGenerator[None, None]:
        ticket = await self._wait_for_turn(conversation_id, lock_lifetime)
        renewing = asyncio.ensure_future(self._renew(conversation_id, ticket)) if ticket is not None else None
        try:
            yield
        finally:
            if renewing is not None:
                renewing.cancel()
            if ticket is not None:
                # Released in its own task: a cancelled turn (a reply timeout) still frees its
                # ticket, and the reply never waits for Redis.
                self._background(self._release(conversation_id, ticket))

    async def _wait_for_turn(self, conversation_id: str, lock_lifetime: float) -> Optional[str]:
        """Our ticket once it is first in line; None when Redis is unavailable."""
        deadline = time.monotonic() + lock_lifetime
        ticket = self.tickets.new_ticket()
        try:
            await self.redis.call(self.tickets.take(conversation_id, ticket))
            pause = FIRST_POLL_SECONDS
            while True:
                state = await self.redis.call(self.tickets.poll(conversation_id, ticket))
                if state == HELD:
                    return ticket
                if state == EXPIRED:
                    # This process stalled for longer than the lease: back to the end of the line.
                    logger.warning("lock.ticket_expired conversation=%s", conversation_id)
                    ticket = self.tickets.new_ticket()
                    await self.redis.call(self.tickets.take(conversation_id, ticket))
                if time.monotonic() > deadline:
                    self._background(self._release(conversation_id, ticket))
                    raise LockError(f"Could not acquire lock for conversation '{conversation_id}'.")
                await asyncio.sleep(pause)
                pause = min(LONGEST_POLL_SECONDS, pause * 2)
        except RedisUnavailable:
            # A command that timed out may still run once Redis answers again (a paused server
            # reads it then): the ticket is handed back, or it would hold the line for a lease.
            self._background(self._release(conversation_id, ticket))
            return None

    async def _renew(self, conversation_id: str, ticket: str) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 4)
            try:
                if await self.redis.call(self.tickets.poll(conversation_id, ticket)) != HELD:
                    logger.error("lock.lease_lost conversation=%s", conversation_id)
                    return
            except RedisUnavailable:
                return

    async def _release(self, conversation_id: str, ticket: str) -> None:
        """Hands a ticket back, retrying while Redis does not answer (in the background: no
        patient waits for this). Gives up after a minute, when the ticket's keys expire anyway."""
        give_up = time.monotonic() + self.tickets.idle_ms / 1000
        while True:
            try:
                await asyncio.wait_for(self.tickets.release(conversation_id, ticket), timeout=self.redis.timeout * 2)
                return
            except redis_errors():
                if time.monotonic() > give_up:
                    return
                await asyncio.sleep(RELEASE_RETRY_SECONDS)

    def _background(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def close(self) -> None:
        """Waits for tickets being handed back (at most a few seconds), then closes the client."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        await self.client.close()
