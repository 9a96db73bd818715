"""Measures the bot on the held-out evaluation sets, through its REST channel.

Each message is sent as a fresh conversation, the way a patient opens the widget and asks one
question. The figures for "both nets" are what patients saw. The bot started here stores its
conversations in a temporary database; the parse data stored there tells what the classifier
alone and the rule guard alone would have answered, reported side by side. With --url (a bot
already running elsewhere) only what patients saw is reported.

    make eval                              # every set in eval/

    python -m tools.evaluate --set eval/dev.yml --no-misses
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from bot.clinic import load_clinic, response_variables
from tools.readability import format_grades, grades_by_layer
from tools.evaluation import (
    NOT_NAMED,
    MultiResult,
    Result,
    configuration_responses,
    expected_kinds,
    format_crisis_summary,
    format_comparison,
    format_multi_report,
    format_report,
    identify_response,
    identify_responses,
    is_topic,
    load_conversations,
    render_responses,
    topic_aliases,
    score,
    says_not_named,
    score_multi,
)
from tools.localserver import LocalBot, send_message

ROOT = Path(__file__).resolve().parents[1]


# Headline sets first. pattern_examples.yml was written to exercise the guard's rules, so its
# figures say that each rule works, not how well the bot generalises.
BOTH = "both (what patients saw)"
DEFAULT_SETS = [
    "dev.yml",
    "safety.yml",
    "blind.yml",
    "real.yml",
    "real_dev.yml",
    "crisis.yml",
    "crisis_dev.yml",
    "crisis_holdout.yml",
    "near_miss_dev.yml",
    "near_miss.yml",
    "pattern_examples.yml",
    "panels_dev.yml",
    "panels.yml",
    "followups.yml",
    "followups_holdout.yml",
    "multi.yml",
    "multi_holdout.yml",
]


def stored_parse_data(db_path: Path) -> dict:
    """sender id -> parse data of its last user message (the scored one: a follow-up set sends
    its context first), read from the tracker store."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{db_path}", future=True)
    parses = {}
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id"))
        for sender, data in rows:
            parses[sender] = json.loads(data).get("parse_data") or {}
    engine.dispose()
    return parses


def default_sets() -> list:
    return [ROOT / "eval" / name for name in DEFAULT_SETS if (ROOT / "eval" / name).exists()]


def domain_aliases() -> dict:
    """The glossary entries that count as a topic's answer (tools/evaluation.topic_aliases)."""
    return topic_aliases(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"])


def rendered_responses() -> dict:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    clinic = load_clinic(ROOT / "clinic.yml")
    return render_responses(domain["responses"], response_variables(clinic), next_steps=clinic.next_steps)


def measure_sets(url: str, sets: list, rendered: dict, db: Path = None, workers: int = 4, aliases: dict = None) -> dict:
    """{set name: {configuration: [Result, ...]}}, every message a fresh conversation.

    With the bot's database (`db`), also what the classifier alone and the rule guard alone
    would have answered, from the parse data stored with each message.
    """
    measured = {}
    if aliases is None:
        aliases = domain_aliases()
    for path in sets:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        cases = load_conversations(data)
        kinds = expected_kinds(data)

        def ask(case):
            context, text, label = case
            sender = f"eval-{uuid.uuid4().hex}"
            if context:  # a follow-up: only the second message is scored
                send_message(url, sender, context)
            replies = send_message(url, sender, text)
            response = identify_response(replies, rendered)
            if label == "out_of_scope" and says_not_named(replies, rendered):
                response = NOT_NAMED  # the answer says first that the article does not cover it
            if is_topic(label):
                response = aliases.get(response, response)
            return sender, Result(text, label, response, kinds.get(text, ""), context)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            sent = list(pool.map(ask, cases))
        results = {}
        if db:
            parses = stored_parse_data(db)
            alone = {s: configuration_responses(parses.get(s, {})) for s, _ in sent}
            for configuration, key in (("classifier alone", "classifier"), ("rule guard alone", "guard")):
                results[configuration] = [
                    Result(
                        r.text,
                        r.label,
                        aliases.get(alone[s][key], alone[s][key]) if is_topic(r.label) else alone[s][key],
                        r.kind,
                        r.context,
                    )
                    for s, r in sent
                ]
        results[BOTH] = [r for _, r in sent]
        measured[os.path.relpath(path, ROOT)] = results
    return measured


def is_multi(path: Path) -> bool:
    """A set of messages of several questions: each case expects a list of answers."""
    cases = yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("cases")
    return isinstance(cases, list) and bool(cases) and isinstance(cases[0].get("expect"), list)


def measure_multi(url: str, path: Path, rendered: dict, workers: int = 4) -> list:
    """[MultiResult, ...]: every reply to each message of several questions, a fresh conversation each."""
    cases = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["cases"]

    def ask(case):
        replies = send_message(url, f"eval-{uuid.uuid4().hex}", str(case["text"]))
        return MultiResult(str(case["text"]), tuple(case["expect"]), tuple(identify_responses(replies, rendered)))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(ask, cases))


def start_bot(model: str, tmp: Path) -> LocalBot:
    """A bot of our own for one measurement, storing its conversations in `tmp`."""
    print(f"Starting the bot with {model}...", file=sys.stderr)
    return LocalBot(
        model,
        cwd=ROOT,
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp / 'eval.db'}"},
        action_server=False,
        log_path=tmp / "server.log",
    ).start()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", dest="sets", help="evaluation file(s) (default: all of eval/)")
    ap.add_argument("--url", default=None, help="measure a bot already running there")
    ap.add_argument("--model", default="models/clinic-bot.tar.gz")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--no-misses", action="store_true", help="print the figures only")
    args = ap.parse_args()

    sets = [Path(p) for p in args.sets] if args.sets else default_sets()
    multi_sets = [p for p in sets if is_multi(p)]
    sets = [p for p in sets if p not in multi_sets]
    tmp = Path(tempfile.mkdtemp(prefix="eval-"))
    bot = None if args.url else start_bot(args.model, tmp)
    try:
        measured = measure_sets(
            args.url or bot.url,
            sets,
            rendered_responses(),
            db=None if args.url else tmp / "eval.db",
            workers=args.workers,
        )
        multi = {p: measure_multi(args.url or bot.url, p, rendered_responses(), args.workers) for p in multi_sets}
    finally:
        if bot:
            bot.stop()
    aliases = domain_aliases()
    for name, results in measured.items():
        reports = {configuration: score(rs, aliases) for configuration, rs in results.items()}
        print(f"== {name}: {len(results[BOTH])} messages, one fresh conversation each\n")
        print(format_comparison(reports))
        print()
        print(format_report(f"{name}, both nets", reports[BOTH], show_misses=not args.no_misses))
        print()
    for path, multi_results in multi.items():
        report = score_multi(multi_results, aliases)
        print(format_multi_report(os.path.relpath(path, ROOT), report, show_misses=not args.no_misses))
        print()
    if len(measured) > 1:
        print(format_crisis_summary([r for results in measured.values() for r in results[BOTH]]))
    print()
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    print(format_grades(grades_by_layer(domain["responses"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
