"""Conversation storage on SQLite (default) and PostgreSQL (by URL)."""
import uuid

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import DATABASE_URL_ENV, ClinicTrackerStore, database_url

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def test_default_is_a_sqlite_file():
    assert database_url(None, "var/conversations.db") == "sqlite:///var/conversations.db"
    assert database_url("  ", "x.db") == "sqlite:///x.db"


def test_configured_url_wins_and_legacy_postgres_scheme_is_fixed():
    assert database_url("postgres://u:p@h/db", "x.db") == "postgresql://u:p@h/db"
    assert database_url("postgresql://u@h/db?sslmode=require", "x.db") == "postgresql://u@h/db?sslmode=require"


def roundtrip(store):
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"), UserUttered("what is bdnf", {"name": "topic_bdnf", "confidence": 1.0}),
        ActionExecuted("utter_topic_bdnf")])
    import asyncio
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve(sender))
    return loaded


def test_sqlite_store_creates_its_folder_and_keeps_conversations(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    store = ClinicTrackerStore(domain=Domain.empty(), sqlite_path=str(tmp_path / "new" / "conv.db"))
    loaded = roundtrip(store)
    assert loaded.latest_message.text == "what is bdnf"
    assert (tmp_path / "new" / "conv.db").exists()


def postgres_available():
    try:
        engine = sa.create_engine(POSTGRES_URL, future=True)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.mark.skipif(not postgres_available(), reason=f"no PostgreSQL at {POSTGRES_URL}")
def test_postgresql_store_by_url(monkeypatch):
    monkeypatch.setenv(DATABASE_URL_ENV, POSTGRES_URL)
    store = ClinicTrackerStore(domain=Domain.empty())
    assert store.engine.dialect.name == "postgresql"
    loaded = roundtrip(store)
    assert loaded.latest_message.intent["name"] == "topic_bdnf"
