"""Messages of one conversation that reach one process take turns, first come first served.

The first step of both shared lock stores (bot/scale/machine_lock_store.py for the workers of
one machine, bot/scale/lock_store.py for several instances): a message waits here, in memory,
for the messages of its conversation that reached this process before it, and only then asks
the other processes. So a process never asks for a lock it already holds, and messages of one
conversation never poll a shared lock against each other.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncGenerator, Dict

from rasa.core.lock_store import LockError


@dataclass
class _Queue:
    lock: asyncio.Lock
    users: int = 0


class LocalTurns:
    def __init__(self) -> None:
        # Only conversations with a message in this process: an entry goes with its last user.
        self._queues: Dict[str, _Queue] = {}

    @asynccontextmanager
    async def turn(self, conversation_id: str, timeout: float) -> AsyncGenerator[None, None]:
        """This message's turn in its conversation; LockError after `timeout` seconds."""
        queue = self._queues.setdefault(conversation_id, _Queue(asyncio.Lock()))
        queue.users += 1
        try:
            try:
                # asyncio.Lock wakes its waiters in the order they came.
                await asyncio.wait_for(queue.lock.acquire(), timeout=timeout)
            except asyncio.TimeoutError:
                raise LockError(f"Could not acquire lock for conversation '{conversation_id}'.") from None
            try:
                yield
            finally:
                queue.lock.release()
        finally:
            queue.users -= 1
            if queue.users == 0:
                self._queues.pop(conversation_id, None)
