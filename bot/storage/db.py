"""Opening the conversation database outside the Rasa server (purge, report).

Kept free of Rasa imports so the command-line tools start in a second, not in twenty.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional

import sqlalchemy as sa
import yaml

DEFAULT_SQLITE_PATH = "var/conversations.db"
DEFAULT_RETENTION_DAYS = 30
# How long a save waits for another one to finish on SQLite; with the save attempts it stays
# under the channels' 30 s reply timeout.
DEFAULT_BUSY_TIMEOUT_MS = 5000

# Rasa's `events` table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), as the tools read it.
EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)


def database_url(configured: Optional[str], sqlite_path: str) -> str:
    """The SQLAlchemy URL to use: the configured one (BOT_DATABASE_URL, read and checked by
    bot.settings), or the SQLite file."""
    return configured or f"sqlite:///{sqlite_path}"


def configure_sqlite(engine: sa.engine.Engine, busy_timeout_ms: int) -> None:
    """WAL lets the report and retrieves read while a save writes; the busy timeout makes a
    second writer wait instead of failing at once.

    synchronous=NORMAL is SQLite's advice for WAL: a commit no longer waits for the disk
    (the fsync was about half the time of saving a turn), the file cannot be corrupted, and a
    crash of the bot loses nothing; only a power cut or an OS crash can lose the last turns
    written before it."""

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


def store_settings(endpoints: Path) -> Dict[str, Any]:
    """The `tracker_store` section of endpoints.yml (empty if the file or section is missing)."""
    if not endpoints.exists():
        return {}
    return dict((yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}).get("tracker_store") or {})


def open_database(endpoints: Path = Path("endpoints.yml"), url: Optional[str] = None) -> sa.engine.Engine:
    """The engine the bot writes to: `url`, else BOT_DATABASE_URL, else endpoints.yml's sqlite_path."""
    from bot.settings import from_env

    store = store_settings(endpoints)
    url = url or database_url(from_env(os.environ).database_url, store.get("sqlite_path", DEFAULT_SQLITE_PATH))
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        raise FileNotFoundError(f"no conversation database at {url[len('sqlite:///'):]}")
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine, int(store.get("busy_timeout_ms", DEFAULT_BUSY_TIMEOUT_MS)))
    return engine


def retention_days(endpoints: Path = Path("endpoints.yml")) -> float:
    return float(store_settings(endpoints).get("retention_days", DEFAULT_RETENTION_DAYS))
