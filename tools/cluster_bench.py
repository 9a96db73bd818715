"""Throughput of the scale-out profile against one instance, in the same run.

    python -m tools.cluster_bench [--rounds 3] [--turns 30] [--conversations 10] [--with-default]

One instance (`bot run`, in-memory locks) and the cluster (two instances behind haproxy, Redis
locks), both on the same PostgreSQL server, take turns: each round sends every conversation's
turns, all conversations at once, through the REST channel. Prints turns/s, p50 and p95 of
each and their ratio. With --with-default, Rasa's default configuration (`rasa init`'s, trained
on our data once and cached by tools.bench) takes its turn too, served one instance the same
way: what a Rasa user would run instead, against both cores of ours. Needs PostgreSQL
(BOT_BENCH_DATABASE_URL, default the local server's `test` database, in which it creates and
drops its own databases), redis-server and haproxy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional

import sqlalchemy as sa

from tools.localcluster import LocalCluster
from tools.localserver import LocalBot, send_message

ROOT = Path(__file__).resolve().parents[1]
RASA_DEFAULT = "Rasa default config"
QUESTIONS = ["what is bdnf", "what is glutamate", "can I take it with my zoloft", "what is synaptogenesis"]


def load(url: str, conversations: int, turns: int) -> Dict[str, float]:
    latencies: List[float] = []
    errors = 0
    lock = threading.Lock()

    def conversation() -> None:
        nonlocal errors
        sender = uuid.uuid4().hex
        for n in range(turns):
            started = time.monotonic()
            try:
                send_message(url, sender, QUESTIONS[n % len(QUESTIONS)])
            except OSError:
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append(time.monotonic() - started)

    threads = [threading.Thread(target=conversation) for _ in range(conversations)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "turns_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
        "errors": errors,
    }


def database(server: str, name: str) -> Callable[[], None]:
    admin = sa.create_engine(server, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    return drop


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--turns", type=int, default=30, help="per conversation and round")
    parser.add_argument("--conversations", type=int, default=10, help="at once")
    parser.add_argument("--model", default=str(ROOT / "models" / "clinic-bot.tar.gz"))
    parser.add_argument("--with-default", action="store_true", help="also Rasa's default configuration")
    args = parser.parse_args(argv)
    default_model = None
    if args.with_default:
        from tools.bench import rasa_default_model

        default_model = str(rasa_default_model()[0])
    server = os.environ.get("BOT_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    base = server.rsplit("/", 1)[0]
    sys.path.insert(0, str(ROOT / "tests"))
    from redis_server import redis_server

    names = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(3 if default_model else 2)]
    drops = [database(server, n) for n in names]
    try:
        with tempfile.TemporaryDirectory() as tmp, redis_server() as redis:
            bots = {
                "one instance": LocalBot(
                    args.model, ROOT, action_server=False, env={"BOT_DATABASE_URL": f"{base}/{names[0]}"}
                ),
                "two instances": LocalCluster(args.model, ROOT, f"{base}/{names[1]}", redis.url, Path(tmp) / "cluster"),
            }
            if default_model:
                bots[RASA_DEFAULT] = LocalBot(
                    default_model, ROOT, action_server=False, env={"BOT_DATABASE_URL": f"{base}/{names[2]}"}
                )
            results: Dict[str, List[Dict[str, float]]] = {name: [] for name in bots}
            with contextlib.ExitStack() as running:
                for bot in bots.values():
                    running.enter_context(bot)  # type: ignore[arg-type]
                for bot in bots.values():
                    load(bot.url, args.conversations, 3)  # warm up
                for _ in range(args.rounds):
                    for name, bot in bots.items():
                        results[name].append(load(bot.url, args.conversations, args.turns))
    finally:
        for drop in drops:
            drop()
    print(
        f"{args.conversations} conversations at once, {args.turns} turns each, {args.rounds} alternating rounds, "
        f"on {os.cpu_count()} cores (PostgreSQL for both; Redis locks and haproxy for the two instances)"
    )
    medians = {}
    for name, rounds in results.items():
        tps = statistics.median(r["turns_per_s"] for r in rounds)
        medians[name] = tps
        p50 = statistics.median(r["p50_ms"] for r in rounds)
        p95 = statistics.median(r["p95_ms"] for r in rounds)
        errors = sum(r["errors"] for r in rounds)
        print(f"  {name:22s} {tps:6.1f} turns/s   p50 {p50:5.0f} ms   p95 {p95:5.0f} ms   errors {errors}")
    print(f"  two instances / one: {medians['two instances'] / medians['one instance']:.2f}x")
    if RASA_DEFAULT in medians:
        for name in ("one instance", "two instances"):
            print(f"  ours, {name} / Rasa's default config: {medians[name] / medians[RASA_DEFAULT]:.2f}x  [>= 5x]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
