"""Conversation storage: Rasa's SQL tracker store on SQLite by default, PostgreSQL by URL.

Configured in endpoints.yml. Set BOT_DATABASE_URL (e.g.
postgresql://user:pass@host:5432/db?sslmode=require) to use PostgreSQL; otherwise the
conversations go to a SQLite file under var/.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore

DATABASE_URL_ENV = "BOT_DATABASE_URL"
DEFAULT_SQLITE_PATH = "var/conversations.db"


def database_url(env_value: Optional[str], sqlite_path: str) -> str:
    """The SQLAlchemy URL to use: the configured one, or the SQLite file."""
    if env_value and env_value.strip():
        url = env_value.strip()
        # SQLAlchemy 1.4 dropped the "postgres://" alias that many hosting providers still hand out.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        return url
    return f"sqlite:///{sqlite_path}"


class ClinicTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: Optional[str] = None, sqlite_path: str = DEFAULT_SQLITE_PATH,
                 event_broker=None, **kwargs: Any) -> None:
        url = database_url(os.environ.get(DATABASE_URL_ENV), sqlite_path)
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # SQLTrackerStore takes a full URL through `host` when it contains "://".
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
