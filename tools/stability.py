"""How steady is the bot when its training data changes a little?

Trains K models (K=5 by default), each time leaving out a different random 1% of the
training examples, and measures each one on every evaluation set through the REST channel.
Prints, for every set, the share of messages whose outcome changed between any two runs
(what patients saw, and the classifier alone), and the spread (lowest - highest) of each
headline figure. Numbers only; nothing here passes or fails.

    make stability                 # K=5
    python -m tools.stability --runs 3 --fraction 0.02
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.evaluation import changed_share, routes_to_help, score, without_examples
from tools.evaluate import BOTH, default_sets, domain_aliases, is_multi, measure_sets, rendered_responses, start_bot

ROOT = Path(__file__).resolve().parents[1]

# A change between the crisis and the safety response still routes the patient to help; a
# change between either of them and anything else is the kind that matters for safety.
FIGURES = [
    ("topic_accuracy", "topic acc"),
    ("clinical_recall", "clinical"),
    ("crisis_recall", "crisis"),
    ("false_safety_rate", "false-safety"),
    ("false_crisis_rate", "false-crisis"),
    ("out_of_scope_handled", "out-of-scope"),
]


def training_data_without(fraction: float, seed: int, out: Path) -> int:
    """Copies data/ to `out`, leaving out a random `fraction` of the NLU examples."""
    shutil.copytree(ROOT / "data", out)
    files = sorted((out / "nlu").glob("*.yml"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    total = sum(sum(line.startswith("    - ") for line in t.splitlines()) for t in texts)
    left_out = set(random.Random(seed).sample(range(total), max(1, round(total * fraction))))
    offset = 0
    for f, text in zip(files, texts):
        count = sum(line.startswith("    - ") for line in text.splitlines())
        f.write_text(without_examples(text, lambda i, o=offset: (o + i) not in left_out), encoding="utf-8")
        offset += count
    return len(left_out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("K", 5)), help="models to train (default 5)")
    ap.add_argument("--fraction", type=float, default=0.01, help="share of examples left out (default 0.01)")
    ap.add_argument("--show-changed", action="store_true", help="list the messages whose outcome changed")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="stability-"))
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    rendered = rendered_responses()
    runs = []
    try:
        for k in range(args.runs):
            run = tmp / f"run-{k}"
            n = training_data_without(args.fraction, seed=k, out=run / "data")
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "rasa",
                    "train",
                    "--config",
                    "config.yml",
                    "--domain",
                    "domain.yml",
                    "--data",
                    str(run / "data"),
                    "--out",
                    str(run),
                    "--fixed-model-name",
                    "model",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            print(
                f"run {k + 1}/{args.runs}: {n} examples left out, trained in {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
            )
            bot = start_bot(str(run / "model.tar.gz"), run)
            try:
                # The sets of one question per message; several questions per message are scored apart.
                sets = [p for p in default_sets() if not is_multi(p)]
                runs.append(measure_sets(bot.url, sets, rendered, db=run / "eval.db"))
            finally:
                bot.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"Stability over {args.runs} models, each trained without a different random {args.fraction:.0%}"
        f" of the examples\n"
    )
    print(
        f"  {'set':26s} {'changed (patients saw)':>23s} {'of which to/from safety':>24s}"
        f" {'changed (classifier alone)':>27s}"
    )
    for name in runs[0]:
        seen = [[r.response for r in run[name][BOTH]] for run in runs]
        both = changed_share(seen)
        safety = changed_share([[routes_to_help(r) for r in outcomes] for outcomes in seen])
        alone = changed_share([[r.response for r in run[name]["classifier alone"]] for run in runs])
        print(f"  {name:26s} {100 * both:22.2f}% {100 * safety:23.2f}% {100 * alone:26.2f}%")
    print("  target: <= 0.50% of outcomes change\n")
    if args.show_changed:
        for name in runs[0]:
            for i, result in enumerate(runs[0][name][BOTH]):
                seen = [run[name][BOTH][i].response for run in runs]
                if len(set(seen)) > 1:
                    print(f"  {name}: {result.label}: {' / '.join(seen)} | {result.text}")
        print()
    print("Spread of the headline figures (what patients saw), lowest - highest:")
    print(f"  {'set':26s}" + "".join(f" {title:>14s}" for _, title in FIGURES))
    for name in runs[0]:
        reports = [score(run[name][BOTH], domain_aliases()) for run in runs]
        cells = []
        for key, _ in FIGURES:
            values = [getattr(r, key) for r in reports]
            cells.append("n/a" if values[0] != values[0] else f"{100 * min(values):.1f}-{100 * max(values):.1f}")
        print(f"  {name:26s}" + "".join(f" {c:>14s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
