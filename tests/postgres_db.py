"""A throw-away PostgreSQL database for a test, on the local server (skips if there is none)."""

from __future__ import annotations

import contextlib
import uuid

import pytest
import sqlalchemy as sa

SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"


def server_available() -> bool:
    try:
        engine = sa.create_engine(SERVER_URL, future=True)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def temporary_database():
    """Yields the URL of a new, empty database, dropped afterwards, so exact counts are possible."""
    if not server_available():
        pytest.skip(f"no PostgreSQL server at {SERVER_URL}")
    name = "privacy_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(SERVER_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield SERVER_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
