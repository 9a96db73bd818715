"""The lock store the worker processes of one machine share (BOT_WORKERS > 1)."""

import asyncio
import multiprocessing
import os
import signal
import time
from contextlib import contextmanager

import pytest
from rasa.core.lock_store import LockError

from bot.scale.machine_lock_store import MachineLockStore, conversation_offset

FORK = multiprocessing.get_context("fork")


def _hold(lock_file: str, conversation: str, seconds: float, started, log=None) -> None:
    """In another process: take the conversation's lock, say so, hold it, then release it."""

    async def run() -> None:
        async with MachineLockStore(lock_file=lock_file).lock(conversation, lock_lifetime=10):
            started.set()
            if log is not None:
                log.put(("start", os.getpid(), time.monotonic()))
            await asyncio.sleep(seconds)
            if log is not None:
                log.put(("end", os.getpid(), time.monotonic()))

    asyncio.run(run())


def test_offsets_are_stable_distinct_and_inside_a_file_offset():
    offsets = {conversation_offset(f"conversation-{i}") for i in range(1000)}
    assert len(offsets) == 1000
    assert conversation_offset("abc") == conversation_offset("abc")
    assert all(0 <= o < 2**62 for o in offsets)


def test_two_processes_take_turns_on_one_conversation(tmp_path):
    lock_file, log = str(tmp_path / "locks" / "c.lock"), FORK.Queue()
    started = [FORK.Event(), FORK.Event()]
    workers = [FORK.Process(target=_hold, args=(lock_file, "same", 0.3, started[i], log)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    events = sorted([log.get(timeout=1) for _ in range(4)], key=lambda e: e[2])
    assert [kind for kind, _, _ in events] == ["start", "end", "start", "end"], "never both at once"
    assert events[0][1] == events[1][1] and events[2][1] == events[3][1]


@contextmanager
def held_elsewhere(lock_file: str, conversation: str, seconds: float):
    """Another process holding `conversation`'s lock; yields that process."""
    started = FORK.Event()
    holder = FORK.Process(target=_hold, args=(lock_file, conversation, seconds, started))
    holder.start()
    try:
        assert started.wait(10)
        yield holder
    finally:
        holder.terminate()
        holder.join()


def seconds_to_take(lock_file: str, conversation: str, lifetime: float) -> float:
    async def take() -> float:
        t0 = time.monotonic()
        async with MachineLockStore(lock_file=lock_file).lock(conversation, lock_lifetime=lifetime):
            return time.monotonic() - t0

    return asyncio.run(take())


def test_another_conversation_does_not_wait(tmp_path):
    lock_file = str(tmp_path / "c.lock")
    with held_elsewhere(lock_file, "first", 5):
        assert seconds_to_take(lock_file, "second", 2) < 0.5


def test_a_message_that_cannot_get_its_turn_in_time_gets_a_lock_error(tmp_path):
    lock_file = str(tmp_path / "c.lock")
    with held_elsewhere(lock_file, "busy", 5), pytest.raises(LockError):
        seconds_to_take(lock_file, "busy", 0.3)


def test_a_killed_worker_leaves_no_conversation_locked(tmp_path):
    lock_file = str(tmp_path / "c.lock")
    with held_elsewhere(lock_file, "orphan", 60) as holder:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
    assert seconds_to_take(lock_file, "orphan", 2) < 0.5, "the kernel released the dead process's lock"


def test_messages_of_one_conversation_in_one_process_are_answered_in_order(tmp_path):
    store = MachineLockStore(lock_file=str(tmp_path / "c.lock"))
    order = []

    async def message(n: int) -> None:
        async with store.lock("same", lock_lifetime=5):
            order.append(("in", n))
            await asyncio.sleep(0.02)
            order.append(("out", n))

    async def run() -> None:
        await asyncio.gather(*(message(n) for n in range(5)))

    asyncio.run(run())
    assert order == [(kind, n) for n in range(5) for kind in ("in", "out")]
