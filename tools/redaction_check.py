"""Sends the personal-data corpus (tests/data/pii_corpus.yml) through the real bot and prints
what reached the database. A measurement, not a test: tests/server/test_privacy_bot.py asserts.

    .venv/bin/python -m tools.redaction_check                      # SQLite, temporary file
    .venv/bin/python -m tools.redaction_check --db postgresql://... # an EMPTY PostgreSQL database
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tools.localserver import LocalBot
from tools.privacy_check import (
    all_rows_as_bytes,
    count_placeholders,
    forbidden,
    leaks,
    load_corpus,
    send_corpus,
    stored_user_texts,
)

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a new SQLite file in a temporary folder)")
    parser.add_argument("--model", default=str(ROOT / "models" / "clinic-bot.tar.gz"))
    args = parser.parse_args()
    corpus = load_corpus()
    tmp = Path(tempfile.mkdtemp(prefix="redaction-check-"))
    db_file = None if args.db else tmp / "conversations.db"
    url = args.db or f"sqlite:///{db_file}"
    with LocalBot(
        args.model, cwd=ROOT, env={"BOT_DATABASE_URL": url}, action_server=False, log_path=tmp / "server.log"
    ) as bot:
        sent = send_corpus(bot.send, corpus, prefix="check")
    engine = sa.create_engine(url, future=True)
    stored = stored_user_texts(engine)
    if db_file:
        # The file itself, with its write-ahead log: what a stolen disk would show.
        blob = b"".join(p.read_bytes() for p in sorted(tmp.glob(db_file.name + "*")))
    else:
        blob = all_rows_as_bytes(engine)
    engine.dispose()
    found = leaks(blob, corpus) + [f"log: {s}" for s in leaks((tmp / "server.log").read_bytes(), corpus)]
    expected = sum(len(m["kinds"]) for m in corpus)
    redacted = count_placeholders(t for texts in stored.values() for t in texts)
    print(f"database:               {engine.dialect.name} ({url if not db_file else db_file})")
    print(
        f"messages sent:          {len(corpus)} in {len(sent.conversations)} conversations "
        f"({len(sent.unanswered)} without a reply)"
    )
    print(
        f"personal data items:    {expected} in the corpus; {len(forbidden(corpus))} strings looked for "
        "(as typed, and phone/ID digits alone)"
    )
    print(f"items redacted:         {redacted} placeholders in the stored messages")
    print(f"items found in storage: {len(found)}" + (f"  {found}" if found else ""))
    return 0 if not found and redacted == expected and not sent.unanswered else 1


if __name__ == "__main__":
    sys.exit(main())
