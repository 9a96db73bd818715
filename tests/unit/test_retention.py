"""Retention and deletion requests: `python -m bot purge` deletes exactly what it should."""

import asyncio
import time

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.__main__ import main
from bot.storage.retention import DAY, expired
from bot.settings import DATABASE_URL_ENV
from bot.storage.tracker_store import ClinicTrackerStore
from postgres_db import temporary_database

NOW = time.time()


def test_expired_is_decided_by_the_last_event():
    last = {"old": NOW - 31 * DAY, "recent": NOW - 29 * DAY, "edge": NOW - 30 * DAY + 1}
    assert expired(last, NOW, 30) == ["old"]
    assert expired(last, NOW, 0) == ["edge", "old", "recent"]
    assert expired({}, NOW, 30) == []


def conversation(sender, word, ages_in_days):
    events = []
    for age in ages_in_days:
        ts = NOW - age * DAY
        events += [
            ActionExecuted("action_listen", timestamp=ts),
            UserUttered(f"tell me about {word}", {"name": "topic_bdnf", "confidence": 1.0}, timestamp=ts),
            ActionExecuted("utter_topic_bdnf", timestamp=ts),
            BotUttered("BDNF is ...", timestamp=ts),
        ]
    return DialogueStateTracker.from_events(sender, events)


# sender -> (a word only that conversation contains, the age in days of each of its messages)
CONVERSATIONS = {
    "old-1": ("quokka", [45, 44]),
    "old-2": ("axolotl", [31]),
    "ongoing": ("pangolin", [40, 1]),  # began long ago, still going: kept whole
    "recent": ("narwhal", [5]),
    "asked-deletion": ("okapi", [2]),
}


@pytest.fixture
def populated(tmp_path, monkeypatch):
    def build(url):
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        store = ClinicTrackerStore(domain=Domain.empty())
        for sender, (word, ages) in CONVERSATIONS.items():
            asyncio.run(store.save(conversation(sender, word, ages)))
        store.engine.dispose()
        return url

    return build


def rows(url):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        out = conn.exec_driver_sql(
            "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data " "FROM events ORDER BY id"
        ).all()
    engine.dispose()
    return [tuple(r) for r in out]


def file_bytes(db):
    return b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))


def check_purges(url, capsys, db_file=None):
    before = rows(url)
    assert main(["purge", "--db", url, "--older-than", "30", "--dry-run"]) == 0
    assert (
        "Would delete 2 conversation(s) whose last message is older than 30 days (12 stored events)"
        in capsys.readouterr().out
    )
    assert rows(url) == before

    assert main(["purge", "--db", url, "--older-than", "30"]) == 0
    assert "Deleted 2 conversation(s)" in capsys.readouterr().out
    after = rows(url)
    # Nothing else is touched: every other row is still there, byte for byte.
    assert after == [r for r in before if r[1] not in ("old-1", "old-2")]
    if db_file:
        data = file_bytes(db_file)
        assert b"quokka" not in data and b"axolotl" not in data
        assert b"pangolin" in data and b"narwhal" in data

    assert main(["purge", "--db", url, "--conversation", "asked-deletion"]) == 0
    assert "Deleted conversation asked-deletion (4 stored events)" in capsys.readouterr().out
    assert rows(url) == [r for r in after if r[1] != "asked-deletion"]
    if db_file:
        assert b"okapi" not in file_bytes(db_file)

    assert main(["purge", "--db", url, "--conversation", "nobody"]) == 0
    assert "No conversation nobody is stored" in capsys.readouterr().out
    assert {r[1] for r in rows(url)} == {"ongoing", "recent"}


def test_purge_on_sqlite_deletes_exactly_the_expired_and_the_requested(tmp_path, populated, capsys):
    db = tmp_path / "c.db"
    url = populated(f"sqlite:///{db}")
    check_purges(url, capsys, db_file=db)


def test_purge_on_postgresql(populated, capsys):
    with temporary_database() as url:
        check_purges(populated(url), capsys)


def test_retention_days_comes_from_endpoints_yml(tmp_path, populated, capsys):
    db = tmp_path / "c.db"
    url = populated(f"sqlite:///{db}")
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: bot.storage.tracker_store.ClinicTrackerStore\n  retention_days: 3\n")
    assert main(["purge", "--db", url, "--endpoints", str(endpoints)]) == 0
    assert "older than 3 days" in capsys.readouterr().out
    assert {r[1] for r in rows(url)} == {"ongoing", "asked-deletion"}


def test_purge_reports_a_missing_database(tmp_path, capsys):
    assert main(["purge", "--db", f"sqlite:///{tmp_path}/none.db"]) == 1
    assert "no conversation database" in capsys.readouterr().err
