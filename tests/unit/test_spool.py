"""Failed saves spooled to disk and written later; failed reads refused; PostgreSQL shared by instances."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import sqlite3
import threading
import uuid

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain

from bot.settings import DATABASE_URL_ENV
from bot.storage.spool import Spool
from bot.storage.tracker_store import ClinicTrackerStore, ConversationUnavailable
from postgres_db import temporary_database
from test_tracker_store import PII_TEXT, conversation, sqlite_store

# -- the spool itself ------------------------------------------------------------------------


def test_spool_keeps_one_file_per_conversation_and_gives_them_back(tmp_path):
    spool = Spool(tmp_path / "spool")
    assert spool.count() == 0 and list(spool.items()) == []
    assert spool.put("a", [{"event": "user", "text": "one"}])
    assert spool.put("b", [{"event": "user", "text": "two"}])
    assert spool.put("a", [{"event": "user", "text": "one"}, {"event": "user", "text": "three"}])
    assert spool.count() == 2
    assert [e["text"] for e in spool.get("a")] == ["one", "three"]
    assert {sender for sender, _ in spool.items()} == {"a", "b"}
    spool.remove("a")
    assert spool.get("a") is None and spool.count() == 1
    assert not list((tmp_path / "spool").glob("*.tmp"))


def test_a_full_spool_refuses_instead_of_filling_the_disk(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=300)
    assert spool.put("a", [{"text": "x" * 100}])
    assert not spool.put("b", [{"text": "y" * 200}])
    assert spool.count() == 1
    # Replacing a conversation's own file counts its old size out.
    assert spool.put("a", [{"text": "z" * 150}])


def test_a_spool_the_disk_refuses_says_so(tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the folder should be")
    spool = Spool(tmp_path / "not-a-folder")
    assert spool.put("a", [{"text": "x"}]) is False


def test_unreadable_files_are_skipped(tmp_path):
    spool = Spool(tmp_path)
    spool.put("a", [{"text": "x"}])
    (tmp_path / "broken.json").write_text("{not json")
    assert [sender for sender, _ in spool.items()] == ["a"]


# -- the tracker store with the spool --------------------------------------------------------


@contextlib.contextmanager
def database_locked(db):
    """Another process holding the SQLite file: every save fails meanwhile."""
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def impatient_store(db, spool):
    """A store that gives up on a locked database at once."""
    return sqlite_store(db, busy_timeout_ms=50, retry_delay=0.0, save_attempts=1, spool_dir=str(spool))


def test_a_failed_save_is_spooled_redacted_and_written_by_the_next_process(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db, spool = tmp_path / "c.db", tmp_path / "spool"
    store = impatient_store(db, spool)
    sender = uuid.uuid4().hex
    with database_locked(db):
        asyncio.run(store.save(conversation(sender, [PII_TEXT])))
    files = list(spool.glob("*.json"))
    assert len(files) == 1
    stored = files[0].read_text()
    for pii in ("Jane Doe", "7946 0958", "jane.doe@", "03/04/1985"):
        assert pii not in stored
    assert "[PHONE]" in stored
    assert store.health()["status"] == "degraded" and store.health()["unsaved_conversations"] == 1
    del store  # the process stops; the spool stays

    async def next_process() -> ClinicTrackerStore:
        restarted = sqlite_store(db, spool_dir=str(spool))
        assert restarted.health()["unsaved_conversations"] == 1
        other = uuid.uuid4().hex
        await restarted.save(conversation(other, ["what is bdnf"]))  # any save starts the replay
        for _ in range(50):
            if restarted.health()["unsaved_conversations"] == 0:
                break
            await asyncio.sleep(0.05)
        return restarted

    restarted = asyncio.run(next_process())
    assert restarted.health()["status"] == "ok"
    assert not list(spool.glob("*.json"))
    with sqlite3.connect(db) as conn:
        texts = [
            json.loads(d)["text"]
            for (d,) in conn.execute(
                "SELECT data FROM events WHERE sender_id=? AND type_name='user' ORDER BY id", (sender,)
            )
        ]
    assert texts == ["my name is [NAME], call [PHONE] or [EMAIL], born [DATE]"]


def test_a_spooled_conversation_goes_on_from_the_spool_until_it_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db, spool = tmp_path / "c.db", tmp_path / "spool"
    first = impatient_store(db, spool)
    sender = uuid.uuid4().hex
    with database_locked(db):
        asyncio.run(first.save(conversation(sender, ["what is ketamine"])))
        # Another process, the database still locked: the conversation comes from the spool.
        loaded = asyncio.run(impatient_store(db, spool).retrieve(sender))
        assert [e.text for e in loaded.events if e.type_name == "user"] == ["what is ketamine"]


def test_a_conversation_that_cannot_be_read_is_refused_not_replaced_by_an_empty_one(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db = tmp_path / "c.db"
    store = sqlite_store(db)
    sender = uuid.uuid4().hex
    asyncio.run(store.save(conversation(sender, ["what is bdnf"])))
    fresh = sqlite_store(db)  # nothing of it in memory
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE events RENAME TO events_elsewhere")
    with pytest.raises(ConversationUnavailable):
        asyncio.run(fresh.retrieve(sender))


def test_rasa_s_fail_safe_wrapper_is_taken_away(tmp_path, monkeypatch):
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore

    from bot.storage.tracker_store import without_fail_safe

    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    inner = AwaitableTrackerStore(sqlite_store(tmp_path / "c.db"))

    class Agent:
        tracker_store = FailSafeTrackerStore(inner)

        class processor:
            tracker_store = None

    agent = Agent()
    without_fail_safe(agent)
    assert agent.tracker_store is inner and agent.processor.tracker_store is inner


# -- PostgreSQL shared by several instances --------------------------------------------------


def _start_store(url, spool, barrier, results):
    import logging
    import os

    os.environ[DATABASE_URL_ENV] = url
    records = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    barrier.wait()  # every instance imported and ready: they start at the same moment
    try:
        ClinicTrackerStore(domain=Domain.empty(), spool_dir=spool)
    except Exception as e:
        results.put(f"{type(e).__name__}: {e}")
        return
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    results.put("; ".join(errors) or None)


def test_instances_starting_together_on_an_empty_postgresql_database_all_start(tmp_path):
    starts = 8
    ctx = multiprocessing.get_context("fork")
    for _ in range(3):  # three empty databases, eight instances starting together on each
        with temporary_database() as url:
            barrier, results = ctx.Barrier(starts), ctx.Queue()
            procs = [
                ctx.Process(target=_start_store, args=(url, str(tmp_path / f"spool{i}"), barrier, results))
                for i in range(starts)
            ]
            for p in procs:
                p.start()
            problems = [results.get(timeout=60) for _ in procs]
            for p in procs:
                p.join()
            assert problems == [None] * starts


def test_two_instances_saving_one_conversation_store_each_event_once_in_order(tmp_path, monkeypatch):
    with temporary_database() as url:
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        a = ClinicTrackerStore(domain=Domain.empty(), spool_dir=str(tmp_path / "a"))
        b = ClinicTrackerStore(domain=Domain.empty(), spool_dir=str(tmp_path / "b"))
        senders = [uuid.uuid4().hex for _ in range(30)]
        barrier = threading.Barrier(2)

        def save_all(store, texts_for):
            for sender in senders:
                barrier.wait()
                asyncio.run(store.save(conversation(sender, texts_for)))

        # Both instances hold the same conversation, one of them one message further on.
        short, long = ["q1"], ["q1", "q2"]
        threads = [
            threading.Thread(target=save_all, args=(a, short)),
            threading.Thread(target=save_all, args=(b, long)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        engine = sa.create_engine(url, future=True)
        with engine.connect() as conn:
            for sender in senders:
                rows = conn.execute(
                    sa.text("SELECT type_name, data FROM events WHERE sender_id=:s ORDER BY id"), {"s": sender}
                ).fetchall()
                texts = [json.loads(d).get("text") for t, d in rows if t == "user"]
                assert texts == ["q1", "q2"], sender
                assert len(rows) == len(conversation(sender, long).events)
        engine.dispose()
