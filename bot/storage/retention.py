"""Deleting conversations: after the retention period, or when a patient asks.

`python -m bot purge` runs this (daily from cron, see docs/privacy.md). A conversation is
everything stored under one conversation id; it expires when its *last* event is older than
the retention period, so a conversation still going on is never cut in half.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional

import sqlalchemy as sa

from bot.storage.db import EVENTS

DAY = 86400.0


def expired(last_event: Mapping[str, float], now: float, older_than_days: float) -> List[str]:
    """The conversation ids whose last event is more than `older_than_days` before `now`."""
    cutoff = now - older_than_days * DAY
    return sorted(sender for sender, ts in last_event.items() if ts is not None and ts < cutoff)


@dataclass
class PurgeResult:
    conversations: List[str] = field(default_factory=list)
    events: int = 0
    dry_run: bool = False


def last_events(conn: sa.engine.Connection) -> Dict[str, float]:
    rows = conn.execute(sa.select(EVENTS.c.sender_id, sa.func.max(EVENTS.c.timestamp)).group_by(EVENTS.c.sender_id))
    return {sender: ts for sender, ts in rows}


def purge(
    engine: sa.engine.Engine,
    now: float,
    older_than_days: Optional[float] = None,
    conversation: Optional[str] = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Deletes the expired conversations, or the one named by `conversation`."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Deleted rows are overwritten with zeros instead of lingering in free pages.
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
            conn.commit()
        with conn.begin():
            if conversation is not None:
                senders = [conversation]
            else:
                senders = expired(last_events(conn), now, older_than_days if older_than_days is not None else 30)
            count = 0
            for chunk in _chunks(senders, 500):
                where = EVENTS.c.sender_id.in_(chunk)
                if dry_run:
                    count += conn.execute(sa.select(sa.func.count()).select_from(EVENTS).where(where)).scalar_one()
                else:
                    count += conn.execute(sa.delete(EVENTS).where(where)).rowcount
        if count == 0 and conversation is not None:
            senders = []
        if sqlite and not dry_run and count:
            # Moves the deletion from the write-ahead log into the file and empties the log,
            # so the deleted text is not left in the -wal file either.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if engine.dialect.name == "postgresql" and not dry_run and count:
        # Marks the deleted rows' space for reuse; see docs/privacy.md for what this does not do.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM events")
    return PurgeResult(conversations=senders, events=count, dry_run=dry_run)


def _chunks(items: List[str], size: int) -> List[List[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
