"""Conversation storage: Rasa's SQL tracker store on SQLite by default, PostgreSQL by URL.

Configured in endpoints.yml. Set BOT_DATABASE_URL (e.g.
postgresql://user:pass@host:5432/db?sslmode=require) to use PostgreSQL; otherwise the
conversations go to a SQLite file under var/.

What this adds to Rasa's `SQLTrackerStore`:
- personal data in what patients type is replaced by placeholders before anything is
  written (bot/storage/redaction.py);
- a failed save is retried, then logged with the conversation id (never the text) and
  spooled to disk (bot/storage/spool.py), from where it is written as soon as the database
  takes it again, by this process or by the next one to start; `health()` reports it;
- a failed read raises ConversationUnavailable (the channels answer 503) instead of Rasa's
  fresh, empty conversation, which would drop the history (a crisis among it) without a word;
- on PostgreSQL, shared by several instances: the tables are created under an advisory lock
  (instances starting together otherwise fail with duplicate-key errors), and the saves of
  one conversation take turns (a per-conversation advisory lock held until commit);
- SQLite runs in WAL mode with a busy timeout, and writes take the write lock up front, so
  concurrent conversations wait for each other instead of failing with "database is locked";
- indexes for the staff report and the retention purge;
- the conversations it saved last are kept in memory and served from there while the
  database holds nothing newer, instead of being rebuilt from every stored event at every
  message (which made a turn cost more the longer the conversation).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Set

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.tracker import SteadyTracker
from bot.settings import from_env as settings_from_env
from bot.storage.redaction import redact_event
from bot.storage.spool import DEFAULT_MAX_BYTES, Spool
from bot.storage.db import (
    DEFAULT_BUSY_TIMEOUT_MS,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SQLITE_PATH,
    configure_sqlite,
    database_url,
)

logger = logging.getLogger(__name__)

# What the report (events since a date) and the purge (last event per conversation) look up.
# IF NOT EXISTS works on SQLite and PostgreSQL, so this runs at every start.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_events_timestamp ON events (timestamp)",
    "CREATE INDEX IF NOT EXISTS ix_events_sender_id_timestamp ON events (sender_id, timestamp)",
)


# Conversations whose save failed, kept in memory as well as in the spool; past this many the
# oldest are read back from the spool when needed.
UNSAVED_IN_MEMORY = 1000
READ_ATTEMPTS = 2
# How often spooled conversations are offered to the database again.
REPLAY_SECONDS = 5.0
# Any fixed number: the advisory lock under which an instance creates the tables.
SCHEMA_LOCK_KEY = 7_301_560_001


class ConversationUnavailable(Exception):
    """The stored conversation could not be read; the channels answer 503."""


# How many recently saved conversations are kept in memory. A conversation that falls out is
# simply read from the database again; 1,000 covers every conversation of a busy evening.
RECENT_CONVERSATIONS = 1000
# Open SQLite connections kept for reuse: the saves run on the event loop's default thread pool
# (a few threads on a small machine), and a burst beyond this opens more for a moment.
SQLITE_POOL_SIZE = 5


class _Recent(NamedTuple):
    tracker: DialogueStateTracker
    events: int  # len(tracker.events) when it was saved: more means it changed unsaved
    last_id: int  # the conversation's newest stored row then: another means someone else wrote


def create_indexes(engine: sa.engine.Engine) -> None:
    with engine.begin() as conn:
        for statement in INDEXES:
            conn.exec_driver_sql(statement)


def conversation_lock_key(sender_id: str) -> int:
    """A PostgreSQL advisory lock key (signed 64-bit) for one conversation."""
    return int.from_bytes(hashlib.sha256(sender_id.encode("utf-8")).digest()[:8], "big", signed=True)


@contextmanager
def schema_lock(url: str) -> Iterator[None]:
    """On PostgreSQL, one instance at a time creates tables and indexes; elsewhere nothing."""
    if not url.startswith(("postgresql", "postgres")):
        yield
        return
    engine = sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


class ClinicTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine

    def __init__(
        self,
        domain=None,
        host: Optional[str] = None,
        sqlite_path: str = DEFAULT_SQLITE_PATH,
        event_broker=None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        save_attempts: int = 3,
        retry_delay: float = 0.2,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        spool_dir: str = "var/spool",
        spool_max_mb: float = DEFAULT_MAX_BYTES / 2**20,
        **kwargs: Any,
    ) -> None:
        url = database_url(settings_from_env(os.environ).database_url, sqlite_path)
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        with schema_lock(url):
            # SQLTrackerStore takes a full URL through `host` when it contains "://".
            super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
            self.is_sqlite = self.engine.dialect.name == "sqlite"
            self.is_postgresql = self.engine.dialect.name == "postgresql"
            if self.is_sqlite:
                # SQLAlchemy 1.4 gives a SQLite file no pool: every session opened a connection
                # and closed it, and closing the last connection checkpoints the write-ahead
                # log into the database file, a write and an fsync on every turn. A small pool
                # keeps them open; the pool hands each to one thread at a time, which is what
                # check_same_thread would otherwise enforce.
                self.engine.dispose()
                self.engine = sa.create_engine(
                    url,
                    poolclass=sa.pool.QueuePool,
                    pool_size=SQLITE_POOL_SIZE,
                    connect_args={"check_same_thread": False},
                )
                configure_sqlite(self.engine, busy_timeout_ms)
                self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            elif self.is_postgresql:
                # A pooled connection that the server closed (a restart, a failover, an
                # administrator) is replaced before use instead of failing a patient's turn.
                self.engine.dispose()
                self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
                self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            create_indexes(self.engine)
        self.retention_days = int(retention_days)
        self.save_attempts = max(1, int(save_attempts))
        self.retry_delay = float(retry_delay)
        # The event loop and the save threads share the health figures and recent conversations.
        self._lock = threading.Lock()
        self._failed_saves = 0
        self._last_failure: Optional[str] = None
        self._degraded = False
        # Conversations whose last save failed: on disk in the spool, the latest also here.
        self.spool = Spool(Path(spool_dir), int(float(spool_max_mb) * 2**20))
        self._unsaved: "OrderedDict[str, DialogueStateTracker]" = OrderedDict()
        self._spool_full = False
        # Read once at start: conversations a stopped process left in the spool are written first.
        self._spooled_ids: Set[str] = {sender_id for sender_id, _ in self.spool.items()}
        self._replaying: Optional[asyncio.Task] = None
        self._recent: "OrderedDict[str, _Recent]" = OrderedDict()

    # -- health -----------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """For GET /health, which the load balancer calls every second: no I/O at all."""
        with self._lock:
            # Spooled, or held in memory only when the spool refused them.
            unsaved = len(self._spooled_ids | set(self._unsaved))
            return {
                "status": "degraded" if self._degraded or unsaved else "ok",
                "failed_saves": self._failed_saves,
                "last_failure": self._last_failure,
                "unsaved_conversations": unsaved,
                "spool_full": self._spool_full,
            }

    # -- saving -----------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self._start_replay()
        loop = asyncio.get_running_loop()
        error: Optional[BaseException] = None
        for attempt in range(self.save_attempts):
            try:
                # Off the event loop: other conversations keep being answered while this one
                # waits for the database.
                await loop.run_in_executor(None, self._write, tracker)
            except Exception as e:  # any failure of the database or its driver
                error = e
                if attempt + 1 < self.save_attempts:
                    await asyncio.sleep(self.retry_delay * 2**attempt)
                continue
            with self._lock:
                self._unsaved.pop(tracker.sender_id, None)
                self._degraded = False
                was_spooled = tracker.sender_id in self._spooled_ids
                self._spooled_ids.discard(tracker.sender_id)
            if was_spooled:
                await loop.run_in_executor(None, self.spool.remove, tracker.sender_id)
            return
        self._forget(tracker.sender_id)
        await loop.run_in_executor(None, self._spool, tracker)
        self._record_failure(tracker, error)
        self._start_replay()

    def _spool(self, tracker: DialogueStateTracker) -> None:
        events = [redact_event(event.as_dict())[0] for event in tracker.events]
        spooled = self.spool.put(tracker.sender_id, events)
        with self._lock:
            self._spool_full = not spooled
            if spooled:
                self._spooled_ids.add(tracker.sender_id)
        if not spooled:
            logger.critical(
                "Could not spool conversation %s (spool full or disk refused): it is kept in memory only.",
                tracker.sender_id,
            )

    def _record_failure(self, tracker: DialogueStateTracker, error: Optional[BaseException]) -> None:
        with self._lock:
            self._failed_saves += 1
            self._last_failure = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self._degraded = True
            self._unsaved[tracker.sender_id] = tracker
            self._unsaved.move_to_end(tracker.sender_id)
            while len(self._unsaved) > UNSAVED_IN_MEMORY:
                oldest, _ = self._unsaved.popitem(last=False)
                if oldest not in self._spooled_ids:
                    logger.critical("Conversation %s could not be saved nor spooled and is lost.", oldest)
        # The driver's message only (never the SQL parameters, which hold the conversation).
        reason = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0][:200]
        logger.error(
            "Could not save conversation %s after %d attempts (%s: %s). It is spooled and "
            "written as soon as the database takes it.",
            tracker.sender_id,
            self.save_attempts,
            type(error).__name__,
            reason,
        )

    def _write(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            if self.is_sqlite:
                # Take the write lock before reading how many events are stored: a read that
                # later turns into a write fails at once with "database is locked" in WAL
                # mode when another conversation wrote in between, whatever the busy timeout.
                session.execute(sa.text("BEGIN IMMEDIATE"))
            elif self.is_postgresql:
                # Another instance saving this conversation waits until this commit: the count of
                # stored events below decides what is new, and must not change under us.
                session.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": conversation_lock_key(tracker.sender_id)}
                )
            # With the write lock held nothing else adds to this conversation until the commit.
            # What is stored already: known without counting when this is the tracker saved
            # last and the conversation's newest row is still the one that save wrote (an
            # indexed lookup, where the count reads every row of the session: a save late in a
            # long conversation cost more than an early one).
            last_id = self._last_id(session, tracker.sender_id)
            recent = self._recent_of(tracker)
            if recent is not None and recent.last_id == last_id and len(tracker.events) >= recent.events:
                already_stored = recent.events
            else:
                already_stored = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False
                ).count()
            written = []
            rows = []
            for event in itertools.islice(tracker.events, already_stored, None):
                data, found = redact_event(event.as_dict())
                written.append((event, data, found))
                rows.append(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.add_all(rows)
            session.flush()
            if rows:
                last_id = max(row.id for row in rows)
            # Keep the tracker only if it is exactly what reading the database would give: the
            # events of its current session. After a new session started it also holds the old
            # one, and the next read must come from the database.
            if any(isinstance(event, SessionStarted) for event, _, _ in written):
                # A new session moves the start of what counts: read it again (rare).
                stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            else:
                stored = already_stored + len(written)
            session.commit()
        if stored == len(tracker.events) and _as_stored(tracker, written):
            self._remember(tracker, last_id)
        else:
            self._forget(tracker.sender_id)

    def _last_id(self, session: Any, sender_id: str) -> int:
        return (
            session.execute(
                sa.select(sa.func.max(self.SQLEvent.id)).where(self.SQLEvent.sender_id == sender_id)
            ).scalar()
            or 0
        )

    # -- recent conversations -----------------------------------------------------------------

    def _remember(self, tracker: DialogueStateTracker, last_id: int) -> None:
        with self._lock:
            self._recent[tracker.sender_id] = _Recent(tracker, len(tracker.events), last_id)
            self._recent.move_to_end(tracker.sender_id)
            while len(self._recent) > RECENT_CONVERSATIONS:
                self._recent.popitem(last=False)

    def _recent_of(self, tracker: DialogueStateTracker) -> Optional[_Recent]:
        """What the last save of this very tracker object left, if it is still remembered."""
        with self._lock:
            recent = self._recent.get(tracker.sender_id)
        return recent if recent is not None and recent.tracker is tracker else None

    def _forget(self, sender_id: str) -> None:
        with self._lock:
            self._recent.pop(sender_id, None)

    def _recent_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker saved last for this conversation, if nothing has changed it since:
        neither this process (a turn that failed before saving) nor another instance."""
        with self._lock:
            recent = self._recent.get(sender_id)
        if recent is None or len(recent.tracker.events) != recent.events:
            self._forget(sender_id)
            return None
        with self.session_scope() as session:
            if self._last_id(session, sender_id) != recent.last_id:
                self._forget(sender_id)
                return None
        return recent.tracker

    async def _stream_new_events(self, event_broker: Any, new_events: List[Event], sender_id: str) -> None:
        # An event broker (Kafka, RabbitMQ) is storage too: it gets the same redacted events.
        redacted = [Event.from_parameters(redact_event(e.as_dict())[0]) for e in new_events]
        await super()._stream_new_events(event_broker, [e for e in redacted if e is not None], sender_id)

    # -- the spool ------------------------------------------------------------------------------

    def _unsaved_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The conversation as a failed save left it, unless the database now holds something
        at least as new: from this process's memory, else from the spool, which the worker
        processes of one machine share (BOT_WORKERS), so the next message goes on from the
        last turn whichever worker it reaches."""
        with self._lock:
            unsaved = self._unsaved.get(sender_id)
            # While this process's saves fail, the database is not asked: a patient must not
            # wait for a database that is away to learn that it holds nothing newer.
            database_away = self._degraded
        if unsaved is not None:
            tracker = unsaved.copy()
        else:
            events = self.spool.get(sender_id)  # a file that is not there: one failed open()
            if events is None or self.domain is None:
                return None
            tracker = SteadyTracker.from_dict(sender_id, events, self.domain.slots)
        return tracker if database_away or self._newer_than_stored(tracker) else None

    def _newer_than_stored(self, tracker: DialogueStateTracker) -> bool:
        """Whether the tracker's last event is newer than anything stored for it. After the
        database took the spooled turns back (the replay, or another worker's next save),
        what was spooled is the older copy."""
        try:
            with self.session_scope() as session:
                latest = session.execute(
                    sa.select(sa.func.max(self.SQLEvent.timestamp)).where(self.SQLEvent.sender_id == tracker.sender_id)
                ).scalar()
        except Exception:  # the database is still away: what was kept is the newest there is
            return True
        newest = tracker.events[-1].timestamp if tracker.events else 0.0
        return latest is None or newest > latest

    def _start_replay(self) -> None:
        task = self._replaying
        running = task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()
        if self._spooled_ids and not running:
            self._replaying = asyncio.ensure_future(self._replay())

    async def _replay(self) -> None:
        """Offers the spooled conversations to the database until it has taken them all."""
        loop = asyncio.get_running_loop()
        while self._spooled_ids:
            for sender_id in list(self._spooled_ids):
                tracker = await loop.run_in_executor(None, self._unsaved_tracker, sender_id)
                if tracker is not None:
                    try:
                        await loop.run_in_executor(None, self._write, tracker)
                    except Exception:  # the database is still away: try again later
                        break
                with self._lock:
                    self._unsaved.pop(sender_id, None)
                    self._spooled_ids.discard(sender_id)
                    if not self._spooled_ids:
                        self._degraded = False
                await loop.run_in_executor(None, self.spool.remove, sender_id)
                logger.info("Spooled conversation %s is now in the database.", sender_id)
            else:
                continue
            await asyncio.sleep(REPLAY_SECONDS)

    # -- reading ----------------------------------------------------------------------------

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        # A new conversation's tracker: one whose turns cost no more late in it (tracker.py).
        return SteadyTracker(sender_id, self.domain.slots, max_event_history=self.max_event_history)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        return await self._retrieve_checked(sender_id, all_sessions=False)

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        return await self._retrieve_checked(conversation_id, all_sessions=True)

    async def _retrieve_checked(self, sender_id: str, all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Off the event loop; a database failure raises ConversationUnavailable."""
        self._start_replay()
        loop = asyncio.get_running_loop()
        unsaved = await loop.run_in_executor(None, self._unsaved_tracker, sender_id)
        if unsaved is not None:
            return unsaved
        error: Optional[BaseException] = None
        # Twice: a connection the server closed mid-query fails once, and the driver's pool
        # replaces it (a restart, a failover); a database that is away fails both times.
        for _ in range(READ_ATTEMPTS):
            try:
                if not all_sessions:
                    recent = await loop.run_in_executor(None, self._recent_tracker, sender_id)
                    if recent is not None:
                        return recent
                return await loop.run_in_executor(None, self._read, sender_id, all_sessions)
            except Exception as e:  # any failure of the database or its driver
                error = e
        logger.error("Could not read conversation %s (%s).", sender_id, type(error).__name__)
        raise ConversationUnavailable(sender_id) from error

    def _read(self, sender_id: str, all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=all_sessions).all()
            events = [json.loads(row.data) for row in rows]
        if self.domain is None or not events:
            return None
        return SteadyTracker.from_dict(sender_id, events, self.domain.slots)


def _as_stored(tracker: DialogueStateTracker, written: List[tuple]) -> bool:
    """Replaces the patient's words in the tracker's new events by what was stored, so that
    memory holds no more than the database. False when that is not possible (a redacted slot
    value, say): the tracker must then not be kept."""
    for event, data, found in written:
        if not found:
            continue
        if not isinstance(event, UserUttered):
            return False
        stored = Event.from_parameters(data)
        for i in range(len(tracker.events) - 1, -1, -1):
            if tracker.events[i] is event:
                tracker.events[i] = stored
                break
        if tracker.latest_message is event:
            tracker.latest_message = stored
    return True


def without_fail_safe(agent: Any) -> None:
    """Takes away Rasa's FailSafeTrackerStore from around a ClinicTrackerStore.

    That wrapper answers a failed read with a fresh, empty conversation: the patient's history
    (a crisis among it) would be dropped without a word, and the turn stored over it. Without
    it, ConversationUnavailable reaches the channel, which answers 503 ("try again in a
    moment"). Saves lose nothing either way: ClinicTrackerStore spools what it cannot write.
    """
    from rasa.core.tracker_store import FailSafeTrackerStore

    wrapped = getattr(agent, "tracker_store", None)
    if not isinstance(wrapped, FailSafeTrackerStore) or find_clinic_store(wrapped) is None:
        return
    inner = wrapped._tracker_store
    agent.tracker_store = inner
    if getattr(agent, "processor", None) is not None:
        agent.processor.tracker_store = inner


def find_clinic_store(store: Any) -> Optional[ClinicTrackerStore]:
    """The ClinicTrackerStore inside Rasa's wrappers (the agent holds
    FailSafeTrackerStore(AwaitableTrackerStore(ClinicTrackerStore))), or None."""
    for _ in range(5):
        if isinstance(store, ClinicTrackerStore) or store is None:
            return store
        store = getattr(store, "_tracker_store", None)
    return None
