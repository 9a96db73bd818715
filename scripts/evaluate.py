"""Measures the bot on the held-out evaluation sets, through its REST channel.

Each message is sent as a fresh conversation, the way a patient opens the widget and asks one
question. Uses the bot at --url if one is running there, otherwise starts one for the run.
Prints numbers; it does not fail on a missed target (use the tests for behaviour).

    make eval                              # eval/dev.yml and eval/safety.yml
    python scripts/evaluate.py --set eval/dev.yml --url http://127.0.0.1:5005
"""
from __future__ import annotations

import argparse
import sys
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clinic import load_clinic, response_variables  # noqa: E402
from bot.evaluation import Result, format_report, identify_response, load_cases, render_responses, score  # noqa: E402
from bot.localserver import LocalBot, send_message  # noqa: E402


def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", dest="sets", help="evaluation file(s) (default: eval/dev.yml, eval/safety.yml)")
    ap.add_argument("--url", default=None, help="a running bot; default: start one for this run")
    ap.add_argument("--model", default="models/clinic-bot.tar.gz")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--no-misses", action="store_true", help="print the figures only")
    args = ap.parse_args()

    sets = [Path(p) for p in (args.sets or ["eval/dev.yml", "eval/safety.yml"])]
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    rendered = render_responses(domain["responses"], response_variables(load_clinic(ROOT / "clinic.yml")))

    bot = None
    url = args.url
    if not url or not reachable(url):
        if args.url:
            print(f"no bot answers at {args.url}", file=sys.stderr)
            return 1
        print("Starting the bot for this run...", file=sys.stderr)
        bot = LocalBot(args.model, cwd=ROOT, action_server=False, log_path=ROOT / "var" / "eval-server.log").start()
        url = bot.url
    try:
        for path in sets:
            cases = load_cases(yaml.safe_load(path.read_text(encoding="utf-8")))

            def ask(case):
                text, label = case
                replies = send_message(url, f"eval-{uuid.uuid4().hex}", text)
                return Result(text, label, identify_response(replies, rendered))

            with ThreadPoolExecutor(max_workers=args.workers) as pool:
                results = list(pool.map(ask, cases))
            print(format_report(str(path), score(results), show_misses=not args.no_misses))
            print()
    finally:
        if bot:
            bot.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
