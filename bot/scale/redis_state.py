"""Whether Redis is answering, as one process sees it: a Redis call that fails or is slow
makes the caller go on without Redis for `retry_seconds`, so that no patient waits on it
while it is down; /health shows it."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Dict, Optional, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RedisUnavailable(Exception):
    """Redis did not answer in time or refused; the caller goes on without it."""


def redis_errors() -> tuple:
    import redis.exceptions

    return (redis.exceptions.RedisError, OSError, asyncio.TimeoutError)


def _consume(task: "asyncio.Future[Any]") -> None:
    """Retrieves a background call's outcome, so that asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


class RedisState:
    def __init__(self, what: str, timeout_seconds: float = 0.25, retry_seconds: float = 5.0) -> None:
        self.what = what  # for the log: "lock", "rate limit"
        self.timeout = float(timeout_seconds)
        self.retry_seconds = float(retry_seconds)
        self._down_until = 0.0
        self.failures = 0
        self.last_failure: Optional[str] = None

    def down(self) -> bool:
        return time.monotonic() < self._down_until

    async def call(self, call: Awaitable[T]) -> T:
        """The call's result; RedisUnavailable at once while Redis is down, or when it fails."""
        if self.down():
            getattr(call, "close", lambda: None)()  # never awaited: no warning about it
            raise RedisUnavailable()
        task = asyncio.ensure_future(call)
        # Not asyncio.wait_for: on a timeout it waits for the call's own clean-up (closing a
        # connection to a server that does not answer), which took over a second here. The
        # caller goes on at the timeout; the clean-up finishes in the background.
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if not done:
            task.cancel()
            task.add_done_callback(_consume)
        try:
            if not done:
                raise asyncio.TimeoutError()
            return task.result()
        except redis_errors() as e:
            self.failures += 1
            self.last_failure = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self._down_until = time.monotonic() + self.retry_seconds
            logger.error(
                "%s.redis_unavailable error=%s; going on without Redis for %.0f s",
                self.what,
                type(e).__name__,
                self.retry_seconds,
            )
            raise RedisUnavailable() from e

    def health(self, degraded_meaning: str) -> Dict[str, Any]:
        down = self.down()
        return {
            "status": "degraded" if down else "ok",
            "redis": f"unreachable: {degraded_meaning}" if down else "ok",
            "redis_failures": self.failures,
            "last_redis_failure": self.last_failure,
        }


def redis_client(url: str, timeout_seconds: float) -> Any:
    import redis.asyncio

    return redis.asyncio.Redis.from_url(url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds)
