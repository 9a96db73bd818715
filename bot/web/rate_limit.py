"""Per-key sliding-window rate limits (a conversation, a client address).

In memory, per server process: a limit protects this process from being flooded. With
BOT_WORKERS=2 the workers share theirs in a file (bot/scale/machine_limits.py); instances
behind a load balancer share theirs in Redis (bot/scale/shared_limits.py). Only messages that reach the bot
count; rejected requests are cheap and do not lock a patient out.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Deque, Dict, Optional


@dataclass
class SlidingWindowLimiter:
    limit: int
    window_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    # Keys idle for a whole window are dropped, so memory stays bounded by recent traffic.
    _hits: Dict[str, Deque[float]] = field(default_factory=dict)
    _last_sweep: float = 0.0

    def retry_after(self, key: str) -> Optional[int]:
        """None if `key` may go ahead now (and counts it), else the seconds to wait."""
        now = self.clock()
        self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window_seconds - now))
        hits.append(now)
        return None

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < self.window_seconds:
            return
        self._last_sweep = now
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window_seconds]:
            del self._hits[key]
