"""Proof that redaction works end to end: send a corpus of messages full of personal data to
the running bot, then look for any of it in what was stored.

Used by tests/server/test_privacy_bot.py and tools/redaction_check.py (which prints the numbers).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List

import sqlalchemy as sa
import yaml

from bot.storage.redaction import KINDS, placeholder
from bot.storage.db import EVENTS

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_corpus.yml"
PLACEHOLDER = re.compile("|".join(re.escape(placeholder(k)) for k in KINDS))


def load_corpus(path: Path = CORPUS) -> List[Dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


def digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def forbidden(messages: Iterable[Dict]) -> List[str]:
    """Every string that must not be stored, lower-cased: the personal data as typed and, for
    numbers of 7 digits or more, the digits alone (the same number in another layout)."""
    out = set()
    for m in messages:
        for pii in m["pii"]:
            out.add(pii.lower())
            if len(digits(pii)) >= 7:
                out.add(digits(pii))
    return sorted(out)


def leaks(stored: bytes, messages: Iterable[Dict]) -> List[str]:
    """The forbidden strings found in `stored` (raw bytes of the database, or its rows)."""
    text = stored.decode("utf-8", errors="replace").lower()
    # A number counts only as a whole number, not as digits inside a stored float or a random
    # hex id: "1972" is not found in 1.1225651519722e-08, in the timestamp 1764281234.1972 nor
    # in the message id 9f1972ab....
    return [
        s
        for s in forbidden(messages)
        if re.search(
            ("(?<![0-9a-z.])" if s[0].isdigit() else "")
            + re.escape(s)
            + ("(?![0-9a-z]|\\.\\d)" if s[-1].isdigit() else ""),
            text,
        )
    ]


def stored_user_texts(engine: sa.engine.Engine) -> Dict[str, List[str]]:
    """Each conversation's stored user texts, in order."""
    out: Dict[str, List[str]] = {}
    query = sa.select(EVENTS.c.sender_id, EVENTS.c.data).where(EVENTS.c.type_name == "user").order_by(EVENTS.c.id)
    with engine.connect() as conn:
        for sender, data in conn.execute(query):
            out.setdefault(sender, []).append(json.loads(data)["text"])
    return out


def all_rows_as_bytes(engine: sa.engine.Engine) -> bytes:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(EVENTS)).all()
    return "\n".join(repr(tuple(r)) for r in rows).encode()


@dataclass
class SendResult:
    conversations: Dict[str, List[str]] = field(default_factory=dict)  # sender -> texts sent
    unanswered: List[str] = field(default_factory=list)  # texts that got no reply


def send_corpus(
    send: Callable[[str, str], list], messages: List[Dict], per_conversation: int = 8, prefix: str = "pii"
) -> SendResult:
    """Sends the corpus through `send(sender, text)`, several messages per conversation."""
    result = SendResult()
    for i, m in enumerate(messages):
        sender = f"{prefix}-{i // per_conversation:03d}"
        result.conversations.setdefault(sender, []).append(m["text"])
        if not send(sender, m["text"]):
            result.unanswered.append(m["text"])
    return result


def count_placeholders(texts: Iterable[str]) -> int:
    return sum(len(PLACEHOLDER.findall(t)) for t in texts)
