"""Checks a chat request from the widget before the bot sees it.

Every rejection has a stable `error` code for programs and a `message` written for the
patient, because the widget shows that message as it is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional, Pattern, Union

DEFAULT_MAX_MESSAGE_CHARS = 1000

# The widget and rasa-webchat send 32 hex characters; anything random-looking of a sane
# length is accepted so other clients can use their own ids.
CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
# The REST channel serves programs, which name conversations as they like ("user-1"): any
# printable id of a sane length.
ANY_CONVERSATION_ID = re.compile(r"[^\x00-\x1f\x7f]{1,256}")

# Characters that are never typed on purpose: control characters (but tab and newlines) and
# unpaired surrogates (they cannot be stored as UTF-8). Unassigned code points are allowed:
# to this Python's Unicode tables, emoji newer than it look unassigned.
_REJECTED_CATEGORIES = {"Cc", "Cs"}
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
# Invisible formatting characters (zero-width spaces, direction overrides, BOM) are dropped;
# the zero-width joiner stays because emoji sequences need it.
_DROPPED_FORMAT = {"Cf"}
_KEPT_FORMAT = {"\u200d"}


@dataclass(frozen=True)
class ChatRequest:
    conversation_id: str
    text: str
    metadata: Optional[dict] = None  # the REST channel's optional "metadata" object


@dataclass(frozen=True)
class RequestError:
    status: int
    error: str
    message: str

    def body(self) -> dict:
        return {"error": self.error, "message": self.message}


def max_body_bytes(max_chars: int) -> int:
    """The largest request body worth reading: every character JSON-escaped, plus the id."""
    return max_chars * 12 + 1024


def too_large(max_chars: int) -> RequestError:
    return RequestError(
        413, "message_too_long", f"Your message is too long. Please shorten it to {max_chars} characters or fewer."
    )


def clean_text(text: str) -> str:
    """NFC-normalised text without invisible formatting characters, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_FORMAT or c in _KEPT_FORMAT)
    return text.strip()


def has_rejected_characters(text: str) -> bool:
    return any(unicodedata.category(c) in _REJECTED_CATEGORIES and c not in _ALLOWED_CONTROLS for c in text)


def parse_chat_request(
    body: bytes, max_chars: int = DEFAULT_MAX_MESSAGE_CHARS, conversation_id: Pattern[str] = CONVERSATION_ID
) -> Union[ChatRequest, RequestError]:
    """The conversation id and cleaned text of a request body, or why it is rejected."""
    if len(body) > max_body_bytes(max_chars):
        return too_large(max_chars)
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return RequestError(400, "invalid_json", "The request could not be read. Please try again.")
    return check_chat(data, max_chars, conversation_id)


def check_chat(
    data: Any, max_chars: int = DEFAULT_MAX_MESSAGE_CHARS, conversation_id: Pattern[str] = CONVERSATION_ID
) -> Union[ChatRequest, RequestError]:
    """The same checks on a message already decoded ({"sender", "message", "metadata"}), as the
    socket.io channel receives it."""
    if not isinstance(data, dict):
        return RequestError(400, "invalid_json", "The request could not be read. Please try again.")

    sender, message = data.get("sender"), data.get("message")
    if not isinstance(sender, str) or not conversation_id.fullmatch(sender):
        return RequestError(
            400,
            "invalid_conversation_id",
            "This conversation could not be found. Please clear the conversation and start again.",
        )
    if not isinstance(message, str):
        return RequestError(400, "invalid_message", "Please type your question as text.")
    if has_rejected_characters(message):
        return RequestError(
            400, "invalid_characters", "Your message contains characters that can't be read. Please retype it."
        )
    text = clean_text(message)
    if not text:
        return RequestError(400, "empty_message", "Please type a question first.")
    if len(text) > max_chars:
        return too_large(max_chars)
    metadata = data.get("metadata")
    return ChatRequest(sender, text, metadata if isinstance(metadata, dict) else None)
