"""Rate limits shared by the worker processes of one server (BOT_WORKERS=2 or more), no Redis.

Each worker would otherwise count on its own, and a patient whose messages reach both could
send up to twice the configured rate. The workers share a small SQLite file beside the
conversation lock file (var/locks/): one row per counted message, checked and counted in one
write transaction, so two workers never both let the last allowed message through. Rows leave
the file once they are a window old, so it holds about a minute of traffic. The keys (client
addresses, conversation ids) are stored only as HMACs, keyed with a random secret kept in the
same file, so the file never shows an address or a conversation id.

Nothing here needs to survive a crash: the file is written without fsync, and if it cannot be
used (a full disk, a read-only directory) each worker falls back to its own limits
(bot/web/rate_limit.py) and says so once in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Callable, Optional

from bot.web.rate_limit import SlidingWindowLimiter

logger = logging.getLogger(__name__)

DEFAULT_FILE = "var/locks/rate_limits.sqlite"
LOCKED_ATTEMPTS = 3

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hits (name TEXT NOT NULL, key TEXT NOT NULL, t REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS hits_by_key ON hits (name, key, t)",
    "CREATE TABLE IF NOT EXISTS secret (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL)",
)


class MachineLimiter:
    """Same answers as SlidingWindowLimiter.retry_after, across the processes of one machine.

    The clock is CLOCK_MONOTONIC, which every process of the machine shares and which never
    jumps; rows from before a reboot (times from the future) are dropped as stale.
    """

    def __init__(
        self,
        path: str | Path,
        name: str,
        limit: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.name = name
        self.limit = int(limit)
        self.window = float(window_seconds)
        self.clock = clock
        self.local = SlidingWindowLimiter(limit, window_seconds)
        self._connection: Optional[sqlite3.Connection] = None
        self._pid = 0
        self._secret = b""
        self._last_sweep = -math.inf
        self._warned = False

    def retry_after(self, key: str) -> Optional[int]:
        """None if `key` may go ahead now (and counts it), else the seconds to wait."""
        try:
            return self._shared_with_retries(key)
        except (sqlite3.Error, OSError) as error:
            if not self._warned:
                logger.warning(
                    "clinic.rate_limit.machine_file_unavailable file=%s error=%s: each worker counts on its own",
                    self.path,
                    error,
                )
                self._warned = True
            self._close()
            return self.local.retry_after(key)

    def _shared_with_retries(self, key: str) -> Optional[int]:
        # Another worker opening the file at the same moment (setting it up takes a lock the
        # busy timeout does not wait for): try again, briefly, rather than count this message
        # on our own.
        for attempt in range(1, LOCKED_ATTEMPTS):
            try:
                return self._shared_retry_after(key)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    raise
                self._close()
                time.sleep(0.01 * attempt)
        return self._shared_retry_after(key)

    def _shared_retry_after(self, key: str) -> Optional[int]:
        conn = self._connect()
        digest = hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        now = self.clock()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if now - self._last_sweep >= self.window:
                conn.execute("DELETE FROM hits WHERE t <= ? OR t > ?", (now - self.window, now + 1))
                self._last_sweep = now
            else:
                conn.execute(
                    "DELETE FROM hits WHERE name = ? AND key = ? AND (t <= ? OR t > ?)",
                    (self.name, digest, now - self.window, now + 1),
                )
            count, oldest = conn.execute(
                "SELECT COUNT(*), MIN(t) FROM hits WHERE name = ? AND key = ?", (self.name, digest)
            ).fetchone()
            if count >= self.limit:
                conn.execute("COMMIT")
                return max(1, math.ceil(oldest + self.window - now))
            conn.execute("INSERT INTO hits (name, key, t) VALUES (?, ?, ?)", (self.name, digest, now))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return None

    def _connect(self) -> sqlite3.Connection:
        # A connection must not cross a fork: a worker forked after this process opened the
        # file opens its own.
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun and ended here, explicitly. The timeout
        # is how long a worker waits for the other's write, which takes well under a millisecond.
        conn = sqlite3.connect(str(self.path), timeout=0.5, isolation_level=None)
        try:
            # Switching to WAL needs the file to itself; once it is WAL it stays WAL.
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            for statement in _SCHEMA:
                conn.execute(statement)
            # The first worker to get here sets the secret; every other one reads the same value.
            conn.execute("INSERT OR IGNORE INTO secret (id, value) VALUES (1, ?)", (secrets.token_hex(32),))
            (value,) = conn.execute("SELECT value FROM secret WHERE id = 1").fetchone()
        except BaseException:
            conn.close()
            raise
        self._connection, self._pid, self._secret = conn, os.getpid(), str(value).encode()
        return conn

    def _close(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            try:
                self._connection.close()
            except sqlite3.Error:
                pass
        self._connection = None


def machine_limiters(path: Optional[str | Path], per_address: int, per_conversation: int) -> tuple:
    """The web channel's two limiters, counting for every worker process of this machine."""
    path = path or DEFAULT_FILE
    return MachineLimiter(path, "address", per_address), MachineLimiter(path, "conversation", per_conversation)
