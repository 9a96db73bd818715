"""Prints what the bot costs, side by side with what a Rasa user would have instead.

"Instead" is Rasa's default configuration (the config.yml that `rasa init` writes: DIET,
ResponseSelector, TED, Memoization and Rule policies) trained on our own domain and data,
cached under var/bench/ and keyed by a hash of them, so it is trained once (about 30
minutes) and again only when the data changes. Both bots are real servers (`python -m bot
run`) with the same channels and the same kind of conversation store (a SQLite file each),
measured in the same run with load rounds that alternate between them, through the REST
channel:

- training time, start-up time, resident memory of the Rasa process;
- NLU parsing alone on our model (in this process), against one whole turn;
- sequential turns, and 10 conversations at once: turns/s, p50, p95, and how busy the
  server's cores were;
- ours again with two worker processes (BOT_WORKERS=2), so that both cores answer;
- a turn late in a 100-turn conversation against a turn early in it (turns 91-100 against
  1-10, pooled over five conversations: one conversation alone gave anything from 0.96x to
  1.62x on the same bot).

Absolute figures on a shared machine are noisy; the ratios within one run are what count.
Numbers only; nothing here passes or fails.

    make bench
    python -m tools.bench --rounds 1 --skip-training
    python -m tools.bench --late-turns-only     # only ours, only the long conversations (2 min)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
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
from typing import Dict, List, Tuple

from tools.localserver import LocalBot

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = [
    "what is ketamine",
    "how does ketamine work in the brain",
    "what are nmda receptors",
    "can ketamine help with ptsd",
    "what is an integration session",
    "should i try ketamine",
    "can i take it with zoloft",
    "how much does it cost",
    "hello",
    "what is bdnf",
]
CACHE = ROOT / "var" / "bench"
TWO_WORKERS = "ours, 2 workers"
OUR_MODEL = ROOT / "models" / "clinic-bot.tar.gz"


# -- small measurements ---------------------------------------------------------------------


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _status_kb(path: str, field: str) -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> float:
    return _status_kb(f"/proc/{pid}/status", "VmRSS:") / 1024


def memory_mb(pids: List[int]) -> Tuple[float, float]:
    """(the largest resident size of one process, the proportional size of them all): worker
    processes share the pages they inherited, which PSS counts once."""
    largest = max(rss_mb(pid) for pid in pids)
    total = sum(_status_kb(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids) / 1024
    return largest, total


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rasa_pid(bot: LocalBot) -> int:
    """The Rasa server process (a child of the supervisor)."""
    return next(pid for pid in bot.pids() if b"bot.rasa_server" in Path(f"/proc/{pid}/cmdline").read_bytes())


def rasa_pids(bot: LocalBot) -> List[int]:
    """The Rasa server process and its worker processes, if it has any (BOT_WORKERS)."""
    pid = rasa_pid(bot)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(p) for p in children.read_text().split())] if children.exists() else [pid]


class Client:
    """One keep-alive HTTP connection, as a browser tab keeps one to the bot."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def turn(self, sender: str, text: str) -> float:
        body = json.dumps({"sender": sender, "message": text})
        t0 = time.perf_counter()
        self.conn.request("POST", "/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"the bot answered {response.status}")
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.conn.close()


def conversation(url: str, turns: int, offset: int = 0) -> List[float]:
    client = Client(url)
    sender = uuid.uuid4().hex
    try:
        return [client.turn(sender, QUESTIONS[(offset + i) % len(QUESTIONS)]) for i in range(turns)]
    finally:
        client.close()


LONG_CONVERSATIONS = 5  # a single one is too noisy to compare its turns 1-10 with 91-100


def late_and_early(url: str, conversations: int = LONG_CONVERSATIONS) -> Tuple[float, float]:
    """p50 of turns 1-10 and of turns 91-100 over `conversations` 100-turn conversations."""
    early: List[float] = []
    late: List[float] = []
    for n in range(conversations):
        times = conversation(url, 100, n)
        early += times[:10]
        late += times[90:]
    return statistics.median(early), statistics.median(late)


def late_turns_only() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    bot = LocalBot(
        str(OUR_MODEL),
        cwd=ROOT,
        action_server=False,
        log_path=tmp / "ours.log",
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp / 'ours.db'}"},
    )
    try:
        bot.start()
        conversation(bot.url, 20)  # warm up
        early, late = late_and_early(bot.url)
    finally:
        bot.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"  {LONG_CONVERSATIONS} conversations of 100 turns: p50 turns 1-10 {early:.1f} ms, turns 91-100 {late:.1f} ms"
    )
    print(f"  turn 91-100 / turn 1-10 of a 100-turn conversation: {late / early:5.2f}x  [<= 1.2x]")
    return 0


def load_round(bot: LocalBot, conversations: int, turns: int) -> Dict[str, float]:
    """`conversations` at once, `turns` each: throughput, latency and server CPU."""
    pids = rasa_pids(bot)
    cpu0, t0 = sum(map(cpu_seconds, pids)), time.perf_counter()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        latencies = [
            ms for conv in pool.map(lambda n: conversation(bot.url, turns, n), range(conversations)) for ms in conv
        ]
    wall = time.perf_counter() - t0
    return {
        "turns_per_s": len(latencies) / wall,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "cores_busy": (sum(map(cpu_seconds, pids)) - cpu0) / wall,
    }


# -- the two models -------------------------------------------------------------------------


def data_hash(config: Path) -> str:
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    for path in [config, ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*.yml"))]:
        digest.update(path.relative_to(ROOT).as_posix().encode() if path.is_relative_to(ROOT) else b"config")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def train(config: Path, out: Path, name: str) -> float:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--force",
            "--config",
            str(config),
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--out",
            str(out),
            "--fixed-model-name",
            name,
            # As `make train` does; both models are trained the same way.
            "--skip-validation",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def rasa_default_model() -> Tuple[Path, float]:
    """Rasa's default configuration trained on our data: (model, training seconds), cached."""
    import rasa

    config = Path(rasa.__file__).parent / "cli" / "initial_project" / "config.yml"
    key = data_hash(config)
    model, record = CACHE / f"rasa-default-{key}.tar.gz", CACHE / f"rasa-default-{key}.json"
    if model.exists() and record.exists():
        return model, json.loads(record.read_text())["training_seconds"]
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob("rasa-default-*"):
        old.unlink()
    print("Training Rasa's default configuration on our data, once (about 30 minutes on 2 cores)...", file=sys.stderr)
    seconds = train(config, CACHE, f"rasa-default-{key}")
    record.write_text(json.dumps({"training_seconds": seconds, "config": str(config)}))
    return model, seconds


def nlu_parse_ms(model: Path, repeats: int = 30) -> float:
    """p50 of NLU parsing alone (tokens to intent, no dialogue, no storage, no HTTP)."""
    import logging

    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse at debug level, which would be most of what is timed here.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from bot.dialogue.graph_runner import use_in_rasa

    use_in_rasa()  # as the server runs it
    agent = Agent.load(str(model))

    async def run() -> List[float]:
        await agent.parse_message("hello")
        times = []
        for _ in range(repeats):
            for text in QUESTIONS:
                t0 = time.perf_counter()
                await agent.parse_message(text)
                times.append((time.perf_counter() - t0) * 1000)
        return times

    return statistics.median(asyncio.run(run()))


# -- the report -----------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="alternating load rounds (default 3)")
    ap.add_argument("--skip-training", action="store_true", help="do not time our own training")
    ap.add_argument(
        "--late-turns-only", action="store_true", help="only a late turn against an early one, on our bot alone"
    )
    args = ap.parse_args()
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    print(f"Machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    if args.late_turns_only:
        return late_turns_only()

    default_model, default_training = rasa_default_model()
    ours_training = float("nan")
    if not args.skip_training:
        out = Path(tempfile.mkdtemp(prefix="bench-train-"))
        ours_training = train(ROOT / "config.yml", out, "bench")
        shutil.rmtree(out, ignore_errors=True)

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    bots = {}
    try:
        for name, model, workers in (
            ("ours", OUR_MODEL, 1),
            (TWO_WORKERS, OUR_MODEL, 2),
            ("rasa default", default_model, 1),
        ):
            bots[name] = LocalBot(
                str(model),
                cwd=ROOT,
                action_server=False,
                log_path=tmp / f"{name}.log",
                env={
                    "BOT_DATABASE_URL": f"sqlite:///{tmp / (name.replace(' ', '-') + '.db')}",
                    "BOT_WORKERS": str(workers),
                },
            )
            bots[name].start()
            conversation(bots[name].url, 3)  # warm up
        startup = {name: bot.up_at - bot.started_at for name, bot in bots.items()}
        memory = {name: memory_mb(rasa_pids(bot)) for name, bot in bots.items()}

        sequential: Dict[str, List[Dict[str, float]]] = {name: [] for name in bots}
        concurrent: Dict[str, List[Dict[str, float]]] = {name: [] for name in bots}
        for r in range(args.rounds):
            print(f"load round {r + 1}/{args.rounds}", file=sys.stderr)
            for name, bot in bots.items():
                sequential[name].append(load_round(bot, conversations=1, turns=100))
                concurrent[name].append(load_round(bot, conversations=10, turns=30))

        long_conversation = {name: late_and_early(bot.url) for name, bot in bots.items()}
        memory_after = {name: memory_mb(rasa_pids(bot)) for name, bot in bots.items()}
    finally:
        for bot in bots.values():
            bot.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    nlu_ms = nlu_parse_ms(OUR_MODEL)

    def mean(rounds: List[Dict[str, float]], key: str) -> float:
        return statistics.mean(r[key] for r in rounds)

    ours, two, default = "ours", TWO_WORKERS, "rasa default"
    names = (ours, two, default)

    def each(rounds: Dict[str, List[Dict[str, float]]], key: str) -> List[float]:
        return [mean(rounds[n], key) for n in names]

    rows = [
        ("training (rasa train --force), s", [ours_training, ours_training, default_training], "{:.0f}"),
        ("start-up (command to HTTP 200), s", [startup[n] for n in names], "{:.1f}"),
        ("memory: largest process, MB (after the load)", [memory_after[n][0] for n in names], "{:.0f}"),
        ("memory: all its processes (PSS), MB", [memory_after[n][1] for n in names], "{:.0f}"),
        ("sequential: turns/s", each(sequential, "turns_per_s"), "{:.1f}"),
        ("sequential: p50 ms", each(sequential, "p50"), "{:.1f}"),
        ("sequential: p95 ms", each(sequential, "p95"), "{:.1f}"),
        ("10 at once: turns/s", each(concurrent, "turns_per_s"), "{:.1f}"),
        ("10 at once: p50 ms", each(concurrent, "p50"), "{:.1f}"),
        ("10 at once: p95 ms", each(concurrent, "p95"), "{:.1f}"),
        ("10 at once: server cores busy", each(concurrent, "cores_busy"), "{:.2f}"),
        ("100-turn conversations: p50 turns 1-10, ms", [long_conversation[n][0] for n in names], "{:.1f}"),
        ("100-turn conversations: p50 turns 91-100, ms", [long_conversation[n][1] for n in names], "{:.1f}"),
    ]
    print(f"\n  {'':48s} {'ours':>10s} {'2 workers':>10s} {'rasa default':>13s}")
    for title, values, fmt in rows:
        cells = ["-" if v != v else fmt.format(v) for v in values]
        print(f"  {title:48s} {cells[0]:>10s} {cells[1]:>10s} {cells[2]:>13s}")
    print(
        f"  (memory right after start-up, largest process: ours {memory[ours][0]:.0f} MB, 2 workers"
        f" {memory[two][0]:.0f} MB, default {memory[default][0]:.0f} MB; {args.rounds} alternating rounds"
        " of 100 sequential turns and 10 x 30 turns at once)"
    )

    seq_p50 = mean(sequential[ours], "p50")
    print("\nRatios (targets in brackets):")

    def ratio(rounds: Dict[str, List[Dict[str, float]]], name: str) -> float:
        return mean(rounds[name], "turns_per_s") / mean(rounds[default], "turns_per_s")

    print(f"  turns/s at 10 at once, ours / default:         {ratio(concurrent, ours):6.1f}x  [>= 5x]")
    print(f"  turns/s at 10 at once, 2 workers / default:    {ratio(concurrent, two):6.1f}x  [>= 5x]")
    print(f"  turns/s sequential, ours / default:            {ratio(sequential, ours):6.1f}x")
    if ours_training == ours_training:
        print(f"  training, default / ours:                      {default_training / ours_training:6.1f}x  [>= 5x]")
    early, late = long_conversation[ours]
    print(f"  turn 91-100 / turn 1-10 of a 100-turn conversation: {late / early:5.2f}x  [<= 1.2x]")
    print(f"  one turn p50 / NLU parsing alone p50 ({nlu_ms:.1f} ms): {seq_p50 / nlu_ms:5.1f}x  [<= 1.5x]")
    print(f"  start-up {startup[ours]:.1f} s [<= 8 s], memory {memory_after[ours][0]:.0f} MB [<= 600 MB]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
