"""Conversation storage on SQLite (default) and PostgreSQL (by URL)."""

import asyncio
import json
import logging
import multiprocessing
import sqlite3
import uuid

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import DATABASE_URL_ENV
from bot.storage.tracker_store import INDEXES, ClinicTrackerStore, database_url
from postgres_db import SERVER_URL, server_available


def test_default_is_a_sqlite_file():
    assert database_url(None, "var/conversations.db") == "sqlite:///var/conversations.db"


def test_configured_url_wins():
    assert database_url("postgresql://u@h/db?sslmode=require", "x.db") == "postgresql://u@h/db?sslmode=require"


def roundtrip(store):
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("what is bdnf", {"name": "topic_bdnf", "confidence": 1.0}),
            ActionExecuted("utter_topic_bdnf"),
        ],
    )
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve(sender))
    return loaded


def test_sqlite_store_creates_its_folder_and_keeps_conversations(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    store = ClinicTrackerStore(domain=Domain.empty(), sqlite_path=str(tmp_path / "new" / "conv.db"))
    loaded = roundtrip(store)
    assert loaded.latest_message.text == "what is bdnf"
    assert (tmp_path / "new" / "conv.db").exists()


@pytest.mark.skipif(not server_available(), reason=f"no PostgreSQL at {SERVER_URL}")
def test_postgresql_store_by_url(monkeypatch):
    monkeypatch.setenv(DATABASE_URL_ENV, SERVER_URL)
    store = ClinicTrackerStore(domain=Domain.empty())
    assert store.engine.dialect.name == "postgresql"
    loaded = roundtrip(store)
    assert loaded.latest_message.intent["name"] == "topic_bdnf"


# -- redaction, durability, concurrency ----------------------------------------------------

PII_TEXT = "my name is Jane Doe, call +44 20 7946 0958 or jane.doe@example.com, born 03/04/1985"


# Timestamps chosen, not taken from the clock: the checks below look for the digits of
# PII_TEXT ("7946", "1985") anywhere in what was stored, and a clock's digits hold them now
# and then.
FIRST_TIMESTAMP = 2_000_000_000.0


def conversation(sender, texts):
    times = (FIRST_TIMESTAMP + i for i in range(4 * len(texts) + 1))
    events = [ActionExecuted("action_listen", timestamp=next(times))]
    for text in texts:
        events += [
            UserUttered(
                text,
                {"name": "out_of_scope", "confidence": 0.9},
                entities=[],
                parse_data={
                    "text": text,
                    "intent": {"name": "out_of_scope", "confidence": 0.9},
                    "entities": [],
                    "safety_guard": {"rule": "r", "matched": text},
                },
                timestamp=next(times),
            ),
            ActionExecuted("utter_out_of_scope", timestamp=next(times)),
            ActionExecuted("action_listen", timestamp=next(times)),
        ]
    return DialogueStateTracker.from_events(sender, events)


def sender_without_digits() -> str:
    """A conversation id with no digits, for the same reason."""
    return uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))


def sqlite_store(path, **kwargs):
    kwargs.setdefault("spool_dir", str(path.parent / "spool"))
    return ClinicTrackerStore(domain=Domain.empty(), sqlite_path=str(path), **kwargs)


def test_personal_data_never_reaches_the_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db = tmp_path / "c.db"
    store = sqlite_store(db)
    sender = sender_without_digits()
    asyncio.run(store.save(conversation(sender, [PII_TEXT])))
    store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("c.db"))
    for pii in (b"Jane", b"7946", b"jane.doe", b"1985"):
        assert pii not in raw
    assert b"[PHONE]" in raw
    loaded = asyncio.run(sqlite_store(db).retrieve(sender))
    assert loaded.latest_message.text == "my name is [NAME], call [PHONE] or [EMAIL], born [DATE]"
    assert loaded.latest_message.intent["name"] == "out_of_scope"
    assert [e.type_name for e in loaded.events] == ["action", "user", "action", "action"]


def test_sqlite_runs_in_wal_mode_with_normal_sync_a_busy_timeout_and_the_indexes(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    store = sqlite_store(tmp_path / "c.db", busy_timeout_ms=4321)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    names = {ix["name"] for ix in sa.inspect(store.engine).get_indexes("events")}
    assert {"ix_events_timestamp", "ix_events_sender_id_timestamp", "ix_events_sender_id"} <= names
    sqlite_store(tmp_path / "c.db")  # a second start finds them there and does not fail


def _save_many(args):
    db, worker, conversations = args
    store = sqlite_store(db, retry_delay=0.0, save_attempts=1)
    for i in range(conversations):
        sender = f"w{worker}-c{i}"
        for n in range(1, 4):  # the conversation grows by one message per save, as in the bot
            asyncio.run(store.save(conversation(sender, [f"question {k}" for k in range(n)])))
    return store.health()


def test_concurrent_conversations_from_several_processes_all_get_saved(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db = tmp_path / "c.db"
    sqlite_store(db)
    workers, conversations = 6, 15
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        healths = pool.map(_save_many, [(db, w, conversations) for w in range(workers)])
    # One attempt only: no retry hides a "database is locked".
    assert all(h["status"] == "ok" and h["failed_saves"] == 0 for h in healths)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT sender_id, count(*) FROM events WHERE type_name='user' " "GROUP BY sender_id"
        ).fetchall()
    assert len(rows) == workers * conversations and {n for _, n in rows} == {3}


def test_a_failed_save_is_retried_logged_reported_and_written_later(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db = tmp_path / "c.db"
    store = sqlite_store(db, busy_timeout_ms=50, retry_delay=0.01, save_attempts=3)
    assert store.health() == {
        "status": "ok",
        "failed_saves": 0,
        "last_failure": None,
        "unsaved_conversations": 0,
        "spool_full": False,
    }
    sender = sender_without_digits()
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the database
    try:
        with caplog.at_level(logging.ERROR, logger="bot.storage.tracker_store"):
            asyncio.run(store.save(conversation(sender, [PII_TEXT])))  # does not raise: the bot keeps answering
        health = store.health()
        assert health["status"] == "degraded" and health["failed_saves"] == 1 and health["last_failure"]
        assert health["unsaved_conversations"] == 1
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and sender in errors[0] and "3 attempts" in errors[0]
        for pii in ("Jane", "7946", "jane.doe", "1985", "[PHONE]"):
            assert pii not in errors[0]
        # The conversation goes on from memory meanwhile.
        assert asyncio.run(store.retrieve(sender)).latest_message.text == PII_TEXT
    finally:
        blocker.rollback()
        blocker.close()
    asyncio.run(store.save(conversation(sender, [PII_TEXT, "what is bdnf"])))
    assert store.health()["status"] == "ok" and store.health()["failed_saves"] == 1
    assert store.health()["unsaved_conversations"] == 0
    loaded = asyncio.run(sqlite_store(db).retrieve(sender))
    assert [e.text for e in loaded.events if e.type_name == "user"] == [
        "my name is [NAME], call [PHONE] or [EMAIL], born [DATE]",
        "what is bdnf",
    ]


def test_a_turn_one_worker_could_only_spool_is_where_another_worker_goes_on(tmp_path, monkeypatch):
    # BOT_WORKERS: the worker processes of one machine share the database and the spool folder.
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db = tmp_path / "c.db"
    first = sqlite_store(db, busy_timeout_ms=50, retry_delay=0.01, save_attempts=1)
    second = sqlite_store(db)
    sender = uuid.uuid4().hex
    asyncio.run(first.save(conversation(sender, ["what is bdnf"])))
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        asyncio.run(first.save(conversation(sender, ["what is bdnf", "what is glutamate"])))  # spooled
        assert first.health()["unsaved_conversations"] == 1
        going_on = asyncio.run(second.retrieve(sender))
        assert going_on.latest_message.text == "what is glutamate"
    finally:
        blocker.rollback()
        blocker.close()
    for event in _turn("what is ptsd", "topic_ptsd"):
        going_on.update(event)
    asyncio.run(second.save(going_on))
    # The first worker's replay (every 5 s) finds its copy older than the database: it writes
    # nothing, and the conversation is read from the database again.
    asyncio.run(first._replay())
    assert first.health()["status"] == "ok"
    assert asyncio.run(first.retrieve(sender)).latest_message.text == "what is ptsd"
    with sqlite3.connect(db) as conn:
        texts = [json.loads(d)["text"] for (d,) in conn.execute("SELECT data FROM events WHERE type_name = 'user'")]
    assert texts == ["what is bdnf", "what is glutamate", "what is ptsd"], "each turn stored once, in order"


@pytest.mark.skipif(not server_available(), reason=f"no PostgreSQL at {SERVER_URL}")
def test_postgresql_store_redacts_and_has_the_indexes(monkeypatch):
    monkeypatch.setenv(DATABASE_URL_ENV, SERVER_URL)
    store = ClinicTrackerStore(domain=Domain.empty())
    sender = sender_without_digits()
    asyncio.run(store.save(conversation(sender, [PII_TEXT])))
    with store.engine.connect() as conn:
        data = conn.execute(sa.text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}).scalars().all()
    assert data and not any(p in d for d in data for p in ("Jane", "7946", "jane.doe", "1985"))
    assert asyncio.run(store.retrieve(sender)).latest_message.text.startswith("my name is [NAME]")
    names = {ix["name"] for ix in sa.inspect(store.engine).get_indexes("events")}
    assert {"ix_events_timestamp", "ix_events_sender_id_timestamp"} <= names
    assert len(INDEXES) == 2


def test_health_is_found_through_rasa_s_wrappers(tmp_path, monkeypatch):
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.storage.tracker_store import find_clinic_store

    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    config = EndpointConfig(
        type="bot.storage.tracker_store.ClinicTrackerStore", sqlite_path=str(tmp_path / "c.db"), retention_days=7
    )
    # The same chain the server builds: endpoints.yml -> TrackerStore.create -> Agent.
    wrapped = Agent._create_tracker_store(TrackerStore.create(config, Domain.empty()), Domain.empty())
    store = find_clinic_store(wrapped)
    assert isinstance(store, ClinicTrackerStore) and store.retention_days == 7
    assert store.health()["status"] == "ok"
    assert find_clinic_store(object()) is None


# -- recently saved conversations served from memory ----------------------------------------


def _store(tmp_path, monkeypatch, name="conv.db"):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    return ClinicTrackerStore(domain=Domain.empty(), sqlite_path=str(tmp_path / name))


def _turn(text, intent="topic_bdnf"):
    return [
        UserUttered(text, {"name": intent, "confidence": 1.0}),
        ActionExecuted(f"utter_{intent}"),
        ActionExecuted("action_listen"),
    ]


def test_a_saved_conversation_is_served_from_memory_as_stored(tmp_path, monkeypatch):
    store = _store(tmp_path, monkeypatch)
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), *_turn(PII_TEXT)])
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve(sender))
    assert loaded is tracker, "no rebuild from the database while nothing newer is stored"
    assert loaded.latest_message.text.startswith("my name is [NAME]"), "memory holds what the database holds"
    assert not any("Jane" in str(e.as_dict()) for e in loaded.events)
    fresh = ClinicTrackerStore(domain=Domain.empty(), sqlite_path=str(tmp_path / "conv.db"))
    assert [e.as_dict() for e in asyncio.run(fresh.retrieve(sender)).events] == [e.as_dict() for e in loaded.events]


def test_what_another_instance_wrote_is_read_from_the_database(tmp_path, monkeypatch):
    ours, theirs = _store(tmp_path, monkeypatch), _store(tmp_path, monkeypatch)
    sender = uuid.uuid4().hex
    asyncio.run(
        ours.save(DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), *_turn("what is bdnf")]))
    )
    later = asyncio.run(theirs.retrieve(sender))
    for event in _turn("what is glutamate", "topic_glutamate"):
        later.update(event)
    asyncio.run(theirs.save(later))
    assert asyncio.run(ours.retrieve(sender)).latest_message.text == "what is glutamate"


def test_saving_a_remembered_conversation_does_not_count_its_stored_events(tmp_path, monkeypatch):
    store = _store(tmp_path, monkeypatch)
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), *_turn("what is bdnf")])
    asyncio.run(store.save(tracker))
    statements = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower()))
    for text in ("what is glutamate", "what is inflammation"):
        tracker = asyncio.run(store.retrieve(sender))
        for event in _turn(text, "topic_glutamate"):
            tracker.update(event)
        asyncio.run(store.save(tracker))
    assert statements and not [s for s in statements if "count(" in s], "a count reads every row of the session"
    with sqlite3.connect(tmp_path / "conv.db") as db:
        texts = [r[0] for r in db.execute("SELECT json_extract(data, '$.text') FROM events WHERE type_name = 'user'")]
    assert texts == ["what is bdnf", "what is glutamate", "what is inflammation"], "each event stored once"


def test_memory_is_not_trusted_for_a_save_once_another_instance_wrote(tmp_path, monkeypatch):
    ours, theirs = _store(tmp_path, monkeypatch), _store(tmp_path, monkeypatch)
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), *_turn("what is bdnf")])
    asyncio.run(ours.save(tracker))
    later = asyncio.run(theirs.retrieve(sender))
    for event in _turn("what is glutamate", "topic_glutamate"):
        later.update(event)
    asyncio.run(theirs.save(later))
    # Without a shared lock (locks degraded), ours goes on from what it remembered: the stored
    # count decides what is new, as it would with no memory, and nothing is written twice.
    for event in _turn("what is ptsd", "topic_ptsd"):
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    with sqlite3.connect(tmp_path / "conv.db") as db:
        texts = [r[0] for r in db.execute("SELECT json_extract(data, '$.text') FROM events WHERE type_name = 'user'")]
    assert texts == ["what is bdnf", "what is glutamate"]


def test_a_turn_that_failed_before_saving_is_not_served_from_memory(tmp_path, monkeypatch):
    store = _store(tmp_path, monkeypatch)
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), *_turn("what is bdnf")])
    asyncio.run(store.save(tracker))
    tracker.update(UserUttered("half-processed", {"name": "topic_ptsd", "confidence": 1.0}))  # never saved
    loaded = asyncio.run(store.retrieve(sender))
    assert loaded is not tracker and loaded.latest_message.text == "what is bdnf"


def test_after_a_new_session_only_that_session_is_served(tmp_path, monkeypatch):
    from rasa.shared.core.events import SessionStarted

    store = _store(tmp_path, monkeypatch)
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), *_turn("what is bdnf")])
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve(sender))
    for event in [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        *_turn("what is glutamate", "topic_glutamate"),
    ]:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve(sender))
    assert "what is bdnf" not in [getattr(e, "text", None) for e in loaded.events]
    for event in _turn("what is inflammation", "topic_inflammation"):
        loaded.update(event)
    asyncio.run(store.save(loaded))
    with sqlite3.connect(tmp_path / "conv.db") as db:
        texts = [
            row[0]
            for row in db.execute(
                "SELECT json_extract(data, '$.text') FROM events "
                "WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
                (sender,),
            )
        ]
    assert texts == ["what is bdnf", "what is glutamate", "what is inflammation"], "each event stored once"


def test_memory_holds_a_bounded_number_of_conversations(tmp_path, monkeypatch):
    import bot.storage.tracker_store as module

    monkeypatch.setattr(module, "RECENT_CONVERSATIONS", 3)
    store = _store(tmp_path, monkeypatch)
    for _ in range(5):
        asyncio.run(store.save(DialogueStateTracker.from_events(uuid.uuid4().hex, _turn("what is bdnf"))))
    assert len(store._recent) == 3
