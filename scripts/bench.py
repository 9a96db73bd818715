"""Prints the bot's cost: training time, start-up time, memory, and one-turn latency.

Latency is measured through the REST channel of a real server, sequentially and with
10 conversations at once. Numbers only; nothing here passes or fails.

    make bench                      # everything (training takes several minutes)
    python scripts/bench.py --skip-training
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.localserver import LocalBot  # noqa: E402

QUESTIONS = [
    "what is ketamine", "how does ketamine work in the brain", "what are nmda receptors",
    "can ketamine help with ptsd", "what is an integration session", "should i try ketamine",
    "can i take it with zoloft", "how much does it cost", "hello", "what is bdnf",
]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list:
    out = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        out += [int(child), *descendants(int(child))]
    return out


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def turn(bot: LocalBot, sender: str, text: str) -> float:
    t0 = time.perf_counter()
    bot.send(sender, text)
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--turns", type=int, default=200, help="sequential turns (default 200)")
    args = ap.parse_args()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    print(f"Machine: {os.cpu_count()} cores")

    if not args.skip_training:
        out = Path(tempfile.mkdtemp(prefix="bench-train-"))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rasa", "train", "--force", "--config", "config.yml", "--domain",
                        "domain.yml", "--data", "data", "--out", str(out)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"Training time (rasa train --force):          {time.perf_counter() - t0:7.1f} s")
        shutil.rmtree(out, ignore_errors=True)

    db = Path(tempfile.mkdtemp(prefix="bench-db-")) / "bench.db"
    bot = LocalBot("models/clinic-bot.tar.gz", cwd=ROOT, env={"BOT_DATABASE_URL": f"sqlite:///{db}"})
    bot.start()
    try:
        print(f"Start-up time (command to HTTP 200):          {bot.up_at - bot.started_at:7.1f} s")
        t0 = time.perf_counter()
        bot.send(uuid.uuid4().hex, "hello")
        print(f"First reply after start-up:                   {(time.perf_counter() - t0) * 1000:7.0f} ms")

        sequential = [turn(bot, f"bench-seq-{i // 10}", QUESTIONS[i % len(QUESTIONS)]) for i in range(args.turns)]
        print(f"One turn, sequential ({args.turns} turns):  p50 {statistics.median(sequential):6.0f} ms"
              f"   p95 {percentile(sequential, 95):6.0f} ms")

        def conversation(n: int) -> list:
            sender = f"bench-conc-{n}-{uuid.uuid4().hex[:6]}"
            return [turn(bot, sender, QUESTIONS[(n + i) % len(QUESTIONS)]) for i in range(20)]

        with ThreadPoolExecutor(max_workers=10) as pool:
            concurrent = [ms for conv in pool.map(conversation, range(10)) for ms in conv]
        print(f"One turn, 10 conversations at once (200):     p50 {statistics.median(concurrent):6.0f} ms"
              f"   p95 {percentile(concurrent, 95):6.0f} ms")

        pids = descendants(bot.proc.pid)
        per = {pid: rss_mb(pid) for pid in pids}
        print(f"Resident memory, Rasa server + action server: {sum(per.values()):7.0f} MB "
              f"({', '.join(f'{v:.0f}' for v in sorted(per.values(), reverse=True))} MB)")
    finally:
        bot.stop()
        shutil.rmtree(db.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
