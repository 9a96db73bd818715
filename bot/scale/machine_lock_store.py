"""The lock store for one machine: one conversation is answered by one worker process at a time.

With BOT_WORKERS=2 (or more) the Rasa server runs that many worker processes on one port, so
both cores answer patients. Two messages of one conversation may then reach two workers at
once; each would read the conversation, answer, and save over the other's turn. Rasa allows
more than one worker only with a lock store shared by them; this is that store, for one
machine, with nothing to install (endpoints.yml):

    lock_store:
      type: bot.scale.machine_lock_store.MachineLockStore
      lock_file: var/locks/conversations.lock

How a message gets its conversation's lock:
1. a lock in this process (FIFO, in memory, bot/scale/local_turns.py): messages of one
   conversation that reach the same worker queue there;
2. then a POSIX record lock on one byte of a shared lock file, at an offset made from the
   conversation id: the kernel holds it for this process, and releases it if the process dies,
   so a killed worker never leaves a conversation locked.

Record locks belong to the process, not to a file descriptor: the file is opened once per
process and never closed while the process runs (closing any descriptor of the file would drop
every lock the process holds on it), and the lock in step 1 ensures the process never asks
for the same byte twice.

Several machines need the Redis lock store instead (bot/scale/lock_store.py, docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncGenerator, Dict, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

from bot.scale.local_turns import LocalTurns

DEFAULT_LOCK_FILE = "var/locks/conversations.lock"
# Waiting for another worker to finish a turn of the same conversation (rare: a patient who
# sends twice before the first answer): first often, a turn takes ~10-50 ms, then less.
FIRST_POLL_SECONDS = 0.002
LONGEST_POLL_SECONDS = 0.02
# Offsets stay below 2**62: positive, and well inside a signed 64-bit file offset.
OFFSET_BITS = 62


def conversation_offset(conversation_id: str) -> int:
    """The byte of the lock file that stands for this conversation (a 62-bit hash: two
    conversations sharing one would only take turns, and that is vanishingly unlikely)."""
    digest = hashlib.sha256(conversation_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - OFFSET_BITS)


class MachineLockStore(LockStore):
    def __init__(self, endpoint_config: Any = None, *, lock_file: str = DEFAULT_LOCK_FILE) -> None:
        options: Dict[str, Any] = dict(getattr(endpoint_config, "kwargs", None) or {})
        self.lock_file = Path(str(options.get("lock_file", lock_file)))
        self._turns = LocalTurns()
        # Opened at the first message, in the worker process (Sanic forks the workers after
        # the server is configured), and kept open for the life of the process.
        self._fd: Optional[int] = None
        super().__init__()

    def health(self) -> Dict[str, Any]:
        """For GET /health: no I/O."""
        return {"status": "ok", "shared_by": "the worker processes of this machine"}

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        deadline = time.monotonic() + lock_lifetime
        async with self._turns.turn(conversation_id, lock_lifetime):
            offset = conversation_offset(conversation_id)
            await self._acquire(conversation_id, offset, deadline)
            try:
                yield TicketLock(conversation_id)
            finally:
                fcntl.lockf(self._descriptor(), fcntl.LOCK_UN, 1, offset)

    async def _acquire(self, conversation_id: str, offset: int, deadline: float) -> None:
        fd = self._descriptor()
        pause = FIRST_POLL_SECONDS
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                return
            except (BlockingIOError, PermissionError):  # another worker holds it (EAGAIN / EACCES)
                pass
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation '{conversation_id}'.")
            await asyncio.sleep(pause)
            pause = min(LONGEST_POLL_SECONDS, pause * 2)

    def _descriptor(self) -> int:
        if self._fd is None:
            self.lock_file.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd
