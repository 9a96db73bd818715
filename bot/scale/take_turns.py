"""Worker processes take new connections in turn (BOT_WORKERS=2 or more).

The workers share one listening socket. Left to the event loop, every worker watches it, and
the first to wake accepts every connection waiting: measured with two workers and ten
conversations arriving at once, one worker got all ten in one round (0.06 and 1.00 of a core
busy) and uneven shares in others, and since each conversation keeps its connection (as a
browser tab does), the busier worker set the pace while the other idled.

Here each worker accepts in a thread of its own, blocked in accept(): the kernel wakes the
waiting acceptors one at a time, longest waiting first, and an acceptor queues again only
after handing its connection over, so connections go to the workers in turn. The event loop
then serves each connection exactly as if it had accepted it itself.

Only a shared TCP socket is handled this way (what Sanic gives its workers); anything else is
left to the event loop. One worker (the default) never uses this.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any, Callable, Optional, Set

logger = logging.getLogger(__name__)

try:  # Sanic runs on uvloop when it is installed (it is, on Linux).
    import uvloop

    _BaseLoop: Any = uvloop.Loop
    _BasePolicy: Any = uvloop.EventLoopPolicy
except ImportError:  # pragma: no cover - the asyncio loop does the same
    _BaseLoop = asyncio.SelectorEventLoop
    _BasePolicy = asyncio.DefaultEventLoopPolicy

# After accept() fails for want of resources (too many open files), wait before trying again
# rather than spin.
RETRY_AFTER_ERROR_SECONDS = 0.05
# After taking a connection, an acceptor waits this long before it takes another, so that the
# other workers' acceptors take the next ones of a burst (ten conversations opening at once):
# a connection already waiting is handed to whoever calls accept() first, and that is the
# acceptor that just took one. 2 ms a connection caps one worker at 500 new connections a
# second; each conversation keeps its connection.
PAUSE_AFTER_ACCEPT_SECONDS = 0.002


class TurnTakingServer:
    """What Sanic needs of `loop.create_server`'s result: close() and wait_closed()."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol_factory: Callable[[], Any], sock: socket.socket):
        self.loop = loop
        self.protocol_factory = protocol_factory
        self.sockets = (sock,)
        self._sock = sock
        self._closed = threading.Event()
        self._adopting: Set[asyncio.Task] = set()
        # Blocking: the acceptor waits in the kernel's queue, which is what makes the turns.
        sock.setblocking(True)
        self._thread = threading.Thread(target=self._accept_in_turn, name="accept-in-turn", daemon=True)
        self._thread.start()

    def _accept_in_turn(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError as error:
                if self._closed.is_set():
                    return
                logger.warning("clinic.accept_failed error=%s", error)
                time.sleep(RETRY_AFTER_ERROR_SECONDS)
                continue
            try:
                self.loop.call_soon_threadsafe(self._adopt, conn)
            except RuntimeError:  # the loop has closed: this worker is gone
                conn.close()
                return
            time.sleep(PAUSE_AFTER_ACCEPT_SECONDS)

    def _adopt(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        # Answers go out at once, as the event loop's own server sends them.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = self.loop.create_task(self.loop.connect_accepted_socket(self.protocol_factory, conn))
        self._adopting.add(task)
        task.add_done_callback(lambda t: self._adopted(t, conn))

    def _adopted(self, task: asyncio.Task, conn: socket.socket) -> None:
        self._adopting.discard(task)
        if task.cancelled() or task.exception() is not None:
            conn.close()

    def close(self) -> None:
        # The acceptor stops at its next connection; one that arrives meanwhile is still served
        # while the worker drains its connections.
        self._closed.set()

    def is_serving(self) -> bool:
        return not self._closed.is_set()

    async def wait_closed(self) -> None:
        return None


class TurnTakingLoop(_BaseLoop):
    async def create_server(
        self, protocol_factory: Callable[[], Any], host: Any = None, port: Any = None, *, sock: Any = None, **kw: Any
    ) -> Any:
        if sock is None or kw.get("ssl") or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return await super().create_server(protocol_factory, host, port, sock=sock, **kw)
        return TurnTakingServer(self, protocol_factory, sock)


class TurnTakingPolicy(_BasePolicy):
    """An event loop policy whose loops take connections in turn. A uvloop policy, so Sanic
    keeps it instead of installing its own."""

    def _loop_factory(self) -> asyncio.AbstractEventLoop:
        return TurnTakingLoop()


def use_in_workers(workers: int, set_policy: Optional[Callable[[Any], None]] = None) -> bool:
    """Install the policy when more than one worker shares the socket; True if installed."""
    if workers <= 1:
        return False
    (set_policy or asyncio.set_event_loop_policy)(TurnTakingPolicy())
    return True
