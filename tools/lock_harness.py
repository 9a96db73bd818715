"""Lock harness: several processes take conversation locks on shared conversations at once.

    python -m tools.lock_harness [--processes 2] [--messages 5000] [--store clinic|rasa]

Inside each lock, a Redis counter of that conversation's holders goes up and down again; a
holder that finds another one there is an overlap, which a lock store must never allow.
Then a process takes a lock and is killed with SIGKILL while holding it: the harness prints
how long the next message for that conversation waits. `--store rasa` runs the same load on
Rasa's own RedisLockStore, for comparison. Needs Redis (BOT_REDIS_URL, default
redis://127.0.0.1:6379/0); prints numbers, asserts nothing (tests/scale does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from typing import Any, Dict, List, Optional

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def make_store(kind: str, redis_url: str, prefix: str) -> Any:
    if kind == "rasa":
        from urllib.parse import urlparse

        from rasa.core.lock_store import RedisLockStore

        url = urlparse(redis_url)
        return RedisLockStore(host=url.hostname or "localhost", port=url.port or 6379, db=0, key_prefix="harness")
    from bot.scale.lock_store import ClinicLockStore

    return ClinicLockStore(redis_url=redis_url, key_prefix=prefix + "lock:")


async def _load(kind: str, redis_url: str, prefix: str, messages: int, conversations: int, concurrency: int) -> Dict:
    import redis.asyncio

    store = make_store(kind, redis_url, prefix)
    counter = redis.asyncio.Redis.from_url(redis_url)
    overlaps = 0
    done = 0
    errors = 0
    waits: List[float] = []
    queue = list(range(messages))

    async def one(conversation: str) -> None:
        nonlocal overlaps, done, errors
        started = time.monotonic()
        try:
            async with store.lock(conversation):
                waits.append(time.monotonic() - started)
                holders = await counter.incr(f"{prefix}holders:{conversation}")
                if holders != 1:
                    overlaps += 1
                await asyncio.sleep(random.uniform(0, 0.002))
                await counter.decr(f"{prefix}holders:{conversation}")
        except Exception:  # the store refused the lock (Rasa's LockError): that message is lost
            errors += 1
            return
        done += 1

    async def worker() -> None:
        while queue:
            queue.pop()
            await one(f"conversation-{random.randrange(conversations)}")

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    await counter.close()
    if hasattr(store, "close"):
        await store.close()
    waits.sort()
    return {
        "messages": done,
        "overlaps": overlaps,
        "lock_errors": errors,
        "seconds": round(elapsed, 2),
        "wait_p50_ms": round(1000 * waits[len(waits) // 2], 1) if waits else None,
        "wait_p99_ms": round(1000 * waits[int(len(waits) * 0.99)], 1) if waits else None,
        "redis_failures": store.redis.failures if hasattr(store, "redis") else None,
    }


async def _hold(kind: str, redis_url: str, prefix: str, conversation: str) -> None:
    store = make_store(kind, redis_url, prefix)
    async with store.lock(conversation):
        print("held", flush=True)
        await asyncio.sleep(3600)


async def _time_to_lock(kind: str, redis_url: str, prefix: str, conversation: str, limit: float) -> Optional[float]:
    store = make_store(kind, redis_url, prefix)
    started = time.monotonic()

    async def take() -> float:
        async with store.lock(conversation):
            return time.monotonic() - started

    try:
        return await asyncio.wait_for(take(), timeout=limit)
    except Exception:  # a timeout, or Rasa's LockError: the lock never came
        return None
    finally:
        if hasattr(store, "close"):
            await store.close()


def run_load(kind: str, redis_url: str, processes: int, messages: int, conversations: int, concurrency: int) -> Dict:
    prefix = f"harness-{uuid.uuid4().hex[:8]}:"
    command = [sys.executable, "-m", "tools.lock_harness", "--worker", "load", "--store", kind, "--redis", redis_url]
    command += ["--prefix", prefix, "--messages", str(messages), "--conversations", str(conversations)]
    command += ["--concurrency", str(concurrency)]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    results = [json.loads((p.communicate()[0] or "{}").strip().splitlines()[-1]) for p in procs]
    return {
        "store": kind,
        "processes": processes,
        "messages": sum(r["messages"] for r in results),
        "overlaps": sum(r["overlaps"] for r in results),
        "lock_errors": sum(r["lock_errors"] for r in results),
        "seconds": max(r["seconds"] for r in results),
        "wait_p99_ms": max(r["wait_p99_ms"] or 0 for r in results),
        "redis_failures": sum(r["redis_failures"] or 0 for r in results),
    }


def run_kill(kind: str, redis_url: str, limit: float = 30.0) -> Optional[float]:
    """Seconds until another process gets the lock of a holder killed with SIGKILL (None: never)."""
    prefix = f"harness-{uuid.uuid4().hex[:8]}:"
    command = [sys.executable, "-m", "tools.lock_harness", "--worker", "hold", "--store", kind, "--redis", redis_url]
    holder = subprocess.Popen([*command, "--prefix", prefix], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "held":
            return None
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        return asyncio.run(_time_to_lock(kind, redis_url, prefix, "conversation-killed", limit))
    finally:
        if holder.poll() is None:
            holder.kill()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["clinic", "rasa"], default="clinic")
    parser.add_argument("--redis", default=os.environ.get("BOT_REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--messages", type=int, default=5000, help="per process")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20, help="messages in flight per process")
    parser.add_argument("--worker", choices=["load", "hold"], help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "load":
        result = asyncio.run(
            _load(args.store, args.redis, args.prefix, args.messages, args.conversations, args.concurrency)
        )
        print(json.dumps(result))
        return 0
    if args.worker == "hold":
        asyncio.run(_hold(args.store, args.redis, args.prefix, "conversation-killed"))
        return 0
    load = run_load(args.store, args.redis, args.processes, args.messages, args.conversations, args.concurrency)
    print(
        f"{load['store']} lock store: {load['processes']} processes, {load['messages']} messages on "
        f"{args.conversations} shared conversations in {load['seconds']} s: {load['overlaps']} overlapping holders, "
        f"{load['lock_errors']} refused (wait p99 {load['wait_p99_ms']} ms, Redis failures {load['redis_failures']})"
    )
    moved_on = run_kill(args.store, args.redis)
    print(
        "after SIGKILL of a holder, the next message got the lock "
        + (f"in {moved_on:.2f} s" if moved_on is not None else "never (waited 30 s)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
