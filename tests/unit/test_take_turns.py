"""Worker processes sharing one listening socket take new connections in turn."""

import asyncio
import multiprocessing
import os
import socket
from collections import Counter

from bot.scale.take_turns import TurnTakingLoop, TurnTakingPolicy, use_in_workers


class _SayWhichWorker(asyncio.Protocol):
    """Answers every line with the id of the process that serves the connection."""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(f"{os.getpid()}\n".encode())


def _worker(sock: socket.socket, ready) -> None:
    loop = TurnTakingLoop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(loop.create_server(_SayWhichWorker, sock=sock))
    ready.set()
    loop.run_forever()


def _which_worker(conn: socket.socket) -> str:
    with conn:
        conn.sendall(b"which worker?\n")
        return conn.makefile().readline().strip()


def test_a_burst_of_connections_is_shared_between_the_workers():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(100)
    port = listener.getsockname()[1]
    fork = multiprocessing.get_context("fork")
    workers, ready = [], []
    try:
        for _ in range(2):
            started = fork.Event()
            worker = fork.Process(target=_worker, args=(listener, started), daemon=True)
            worker.start()
            workers.append(worker)
            ready.append(started)
        assert all(started.wait(20) for started in ready)
        # Ten conversations opening at once: left to the event loop, the first worker to wake
        # takes every connection waiting.
        conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(10)]
        served_by = Counter(_which_worker(conn) for conn in conns)
    finally:
        for worker in workers:
            worker.kill()
        listener.close()
    assert set(served_by) <= {str(w.pid) for w in workers}
    assert sum(served_by.values()) == 10
    assert len(served_by) == 2 and min(served_by.values()) >= 3, served_by


def test_only_several_workers_change_the_event_loop():
    installed = []
    assert use_in_workers(1, installed.append) is False
    assert installed == []
    assert use_in_workers(2, installed.append) is True
    assert isinstance(installed[0], TurnTakingPolicy)
    assert isinstance(installed[0].new_event_loop(), TurnTakingLoop)


def test_a_server_without_a_shared_tcp_socket_is_the_event_loops_own():
    loop = TurnTakingLoop()
    try:
        server = loop.run_until_complete(loop.create_server(asyncio.Protocol, "127.0.0.1", 0))
        assert type(server).__name__ != "TurnTakingServer"
        server.close()
        loop.run_until_complete(server.wait_closed())
    finally:
        loop.close()
