"""socket.io input channel, compatible with rasa-webchat, with fixes over Rasa 3.6.21.

1. Rasa's `session_request` handler calls `sio.enter_room()` without awaiting it; with the
   python-socketio that Rasa installs that is a coroutine, so the client never joins its
   room and no bot reply ever reaches it when `session_persistence` is on
   (RasaHQ/rasa#13027). We register our own `session_request` handler that awaits it.
2. With persistence on, the client-chosen session id becomes the conversation id, so a
   guessable id would let one visitor read another's replies. Ids that do not look random
   are replaced by a fresh random one.
3. Rasa accepts socket.io connections from any web page. Here only the bot's own pages and
   the clinic's (BOT_CORS_ORIGINS, as for the web channel) may connect from a browser.
4. Engine.io answers the handshake with its own CORS headers for the allowed origins, and
   Rasa's CORS extension (sanic-cors, given the same origins) added a second
   Access-Control-Allow-Origin: browsers refuse a response with two, so rasa-webchat on a
   clinic's site never connected. The extension now leaves socket.io's paths alone.
5. Rasa passes any message to the NLU, however long, and fails on malformed events. Here
   every message gets the web channel's checks (bot/web/validation.py) first; a refused one
   gets the reason as a bot message, and the NLU never sees it.
6. With several worker processes (BOT_WORKERS), only the websocket transport is offered.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic_cors.core import SANIC_CORS_EVALUATED

from bot.settings import from_env as settings_from_env
from bot.web.channel import UNAVAILABLE
from bot.web.validation import CONVERSATION_ID, DEFAULT_MAX_MESSAGE_CHARS, RequestError, check_chat

logger = logging.getLogger(__name__)

# rasa-webchat and our widget send 32 hex characters (a uuid4 without dashes).


def accepted_session_id(requested: Any) -> str:
    """The client's session id if it looks random enough to be unguessable, else a new one."""
    if isinstance(requested, str) and CONVERSATION_ID.fullmatch(requested):
        return requested
    return uuid.uuid4().hex


def metadata_of(raw: Any) -> Optional[dict]:
    """The event's metadata: an object, or an object written as JSON (rasa-webchat), else none."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, dict) else None


class EngineIOCorsBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint, with engine.io alone answering CORS on its paths."""

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        super().register(app, options)
        path = "/" + self.ctx.socketio_path.strip("/")

        async def engineio_answers_cors(request: Request) -> None:
            if request.path == path or request.path.startswith(path + "/"):
                setattr(request.ctx, SANIC_CORS_EVALUATED, "1")

        app.register_middleware(engineio_answers_cors, "request")


class SocketIOInput(RasaSocketIOInput):
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.max_message_chars = int((credentials or {}).get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS))
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        super().blueprint(on_new_message)  # the socket.io server and Rasa's event handlers
        sio = self.sio
        webhook = EngineIOCorsBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        settings = settings_from_env(os.environ)
        # None is engine.io's "same origin only"; a list admits exactly those origins.
        sio.eio.cors_allowed_origins = list(settings.cors_origins) or None
        if settings.workers > 1:
            # Long-polling is a series of requests that must all reach the worker holding the
            # session, and the port hands each request to any worker: only a websocket, one
            # connection from start to end, stays with its worker. Clients connect with
            # transports: ["websocket"] (README, "Settings").
            sio.eio.transports = ["websocket"]
            # Said where the clinic's IT person looks: the widget most Rasa sites embed cannot
            # do this, and would otherwise just never connect.
            logger.warning(
                "BOT_WORKERS=%d: socket.io accepts websocket connections only; rasa-webchat 1.0.1 "
                "opens with long-polling and cannot connect (docs/deploy.md)",
                settings.workers,
            )

        async def session_request(sid: str, data: Optional[Dict]) -> None:
            session_id = accepted_session_id((data or {}).get("session_id"))
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        async def user_uttered(sid: str, data: Any = None) -> None:
            chat = (
                {
                    "sender": data.get("session_id") if self.session_persistence else sid,
                    "message": data.get("message"),
                    "metadata": metadata_of(data.get(self.metadata_key)),
                }
                if isinstance(data, dict)
                else data  # not an object: refused as unreadable
            )
            checked = check_chat(chat, self.max_message_chars)
            if isinstance(checked, RequestError):
                # Never the patient's words in the log; the reason goes back to them.
                logger.info("socket.io message refused: %s", checked.error)
                await sio.emit(self.bot_message_evt, {"text": checked.message}, room=sid, namespace=self.namespace)
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(
                    UserMessage(
                        checked.text,
                        output,
                        checked.conversation_id,
                        input_channel=self.name(),
                        metadata=checked.metadata or {},
                    )
                )
            except Exception as e:  # the conversation could not be read, say; never the words in the log
                logger.error("socket.io message failed: %s", type(e).__name__)
                await sio.emit(self.bot_message_evt, {"text": UNAVAILABLE}, room=sid, namespace=self.namespace)

        # Registering again under the same event name replaces Rasa's handler.
        sio.on("session_request", handler=session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handler=user_uttered, namespace=self.namespace)
        return webhook
