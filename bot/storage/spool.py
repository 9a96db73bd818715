"""Conversations whose save failed, kept on disk until the database takes them.

One JSON file per conversation, holding its redacted events (never more than the database
would hold), written atomically, so a process that stops or is killed loses none of them;
the next start writes them to the database. Bounded: past `max_bytes` a conversation is not
spooled (the failure is logged and /health reports the spool full), so a long database
outage cannot fill the disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

DEFAULT_MAX_BYTES = 100 * 1024 * 1024


class Spool:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = Path(directory)
        self.max_bytes = int(max_bytes)

    def _path(self, sender_id: str) -> Path:
        return self.directory / (hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:40] + ".json")

    def put(self, sender_id: str, events: List[Dict[str, Any]]) -> bool:
        """Keeps the conversation's events (replacing what was spooled for it). False when the
        spool is full or the disk refuses; nothing half-written is ever left."""
        data = json.dumps({"sender_id": sender_id, "events": events}).encode("utf-8")
        path = self._path(sender_id)
        previous = path.stat().st_size if path.exists() else 0
        if self.size() - previous + len(data) > self.max_bytes:
            return False
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            return True
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            return False

    def get(self, sender_id: str) -> Optional[List[Dict[str, Any]]]:
        path = self._path(sender_id)
        try:
            return json.loads(path.read_text(encoding="utf-8"))["events"]
        except (OSError, ValueError, KeyError):
            return None

    def remove(self, sender_id: str) -> None:
        self._path(sender_id).unlink(missing_ok=True)

    def items(self) -> Iterator[Tuple[str, List[Dict[str, Any]]]]:
        """Every spooled conversation, oldest first; unreadable files are skipped."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                item = json.loads(path.read_text(encoding="utf-8"))
                yield item["sender_id"], item["events"]
            except (OSError, ValueError, KeyError):
                continue

    def count(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json")) if self.directory.is_dir() else 0

    def size(self) -> int:
        if not self.directory.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.directory.glob("*.json"))
