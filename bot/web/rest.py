"""Rasa's REST channel for programs, with bad input answered by a 4xx instead of a 500.

Rasa's stock REST channel answers an empty body, `null` or `[]` with a 500, reads a body of
any size, runs the NLU on a message of any length (so one huge message keeps the process
busy for everyone), and logs the patient's words when a turn fails. This one keeps the same
address and the same answer for a good request:

    POST /webhooks/rest/webhook   {"sender": "<conversation id>", "message": "<text>", "metadata": {...}}
    -> 200 [{"recipient_id": ..., "text": ...}, ...]

and answers every other request with a 4xx and a JSON error (`error`, `message`), checked
before the NLU runs, with the same checks as the widget's channel (bot/web/validation.py),
except that a program may name its conversations as it likes. It has no streaming mode.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.web.channel import UNAVAILABLE, error_response, read_body
from bot.web.validation import (
    ANY_CONVERSATION_ID,
    RequestError,
    max_body_bytes,
    parse_chat_request,
    too_large,
)

logger = logging.getLogger(__name__)

# Programs may send more than the widget's patients type, but not without limit.
DEFAULT_MAX_MESSAGE_CHARS = 5000


class ClinicRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ClinicRestInput":
        c = credentials or {}
        return cls(
            max_message_chars=int(c.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            response_timeout=float(c.get("response_timeout_seconds", 30)),
        )

    def __init__(self, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS, response_timeout: float = 30) -> None:
        self.max_message_chars = max_message_chars
        self.response_timeout = response_timeout

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("clinic_rest", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await read_body(request, max_body_bytes(self.max_message_chars))
            parsed = (
                parse_chat_request(body, self.max_message_chars, ANY_CONVERSATION_ID)
                if body is not None
                else too_large(self.max_message_chars)
            )
            if isinstance(parsed, RequestError):
                logger.info("rest.request.rejected error=%s", parsed.error)
                return error_response(parsed, None)
            collector = CollectingOutputChannel()
            message = UserMessage(
                parsed.text, collector, parsed.conversation_id, input_channel=self.name(), metadata=parsed.metadata
            )
            try:
                await asyncio.wait_for(on_new_message(message), timeout=self.response_timeout)
            except asyncio.TimeoutError:
                logger.error("rest.message.timeout")
                return error_response(RequestError(504, "timeout", UNAVAILABLE), None)
            except Exception as e:  # never a stack trace or a 500; never the patient's words in the log
                logger.error("rest.message.failed error=%s", type(e).__name__)
                return error_response(RequestError(503, "unavailable", UNAVAILABLE), None)
            return response.json(collector.messages, headers={"Cache-Control": "no-store"})

        return bp
