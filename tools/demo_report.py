"""Writes a demo conversation store (made-up patients over 14 days) and its staff report.

For the README screenshot and for trying the report without a running bot:

    .venv/bin/python tools/demo_report.py --out var/demo-report.html

The conversations are synthetic but go through the real tracker store, so what patients
"typed" is redacted exactly as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TOPICS = [
    "topic_what_is_ketamine",
    "topic_how_it_works",
    "topic_nmda_receptors",
    "topic_bdnf",
    "topic_ptsd",
    "topic_treatment_resistant_depression",
    "topic_integration_sessions",
    "topic_rapid_action",
    "topic_chronic_pain",
    "topic_vs_antidepressants",
]
UNANSWERED = [
    "how much is one infusion",
    "what does a session cost",
    "how much does ketamine cost",
    "do you take insurance",
    "is it covered by my insurance",
    "can I drive home after the infusion",
    "can someone drive me home",
    "what are your opening hours",
    "are you open on saturday",
    "my name is Jane Doe, can I book for friday",
    "call me on 07700 900123 to book",
    "do you have parking",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "demo-report.html")
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "demo-conversations.db")
    args = parser.parse_args()
    os.environ.pop("BOT_DATABASE_URL", None)
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.__main__ import main as cli
    from bot.storage.tracker_store import ClinicTrackerStore

    args.db.unlink(missing_ok=True)
    store = ClinicTrackerStore(domain=Domain.empty(), sqlite_path=str(args.db))
    rng = random.Random(7)
    midnight = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
    start = midnight - 13 * 86400 + 8 * 3600  # each day's conversations between 8:00 and 16:00
    for day in range(14):
        for n in range(rng.randint(3, 9)):
            ts = start + day * 86400 + rng.randint(0, 8 * 3600)
            events = [ActionExecuted("action_listen", timestamp=ts)]

            def turn(text, intent, answer):
                events.extend(
                    [
                        UserUttered(text, {"name": intent, "confidence": 1.0}, timestamp=ts),
                        ActionExecuted(answer, timestamp=ts),
                        ActionExecuted("action_listen", timestamp=ts),
                    ]
                )

            for _ in range(rng.randint(1, 4)):
                roll = rng.random()
                if roll < 0.55:
                    topic = rng.choice(TOPICS[: rng.randint(3, len(TOPICS))])
                    turn("...", topic, "utter_" + topic)
                    if rng.random() < 0.5:
                        tap = "feedback_helpful" if rng.random() < 0.8 else "feedback_not_helpful"
                        turn("/" + tap, tap, "utter_" + tap)
                elif roll < 0.8:
                    turn(rng.choice(UNANSWERED), "out_of_scope", "utter_out_of_scope")
                elif roll < 0.96:
                    turn("...", "clinical_decision", "utter_safety")
                else:
                    turn("...", "crisis", "utter_crisis")
            asyncio.run(store.save(DialogueStateTracker.from_events(f"demo-{day}-{n}", events)))
    store.engine.dispose()
    return cli(["report", "--out", str(args.out), "--db", f"sqlite:///{args.db}", "--since", "14"])


if __name__ == "__main__":
    sys.exit(main())
