"""socket.io input channel, compatible with rasa-webchat, with two fixes over Rasa 3.6.21.

1. Rasa's `session_request` handler calls `sio.enter_room()` without awaiting it; with the
   python-socketio that Rasa installs that is a coroutine, so the client never joins its
   room and no bot reply ever reaches it when `session_persistence` is on
   (RasaHQ/rasa#13027). We register our own `session_request` handler that awaits it.
2. With persistence on, the client-chosen session id becomes the conversation id, so a
   guessable id would let one visitor read another's replies. Ids that do not look random
   are replaced by a fresh random one.
3. Rasa accepts socket.io connections from any web page. Here only the bot's own pages and
   the clinic's (BOT_CORS_ORIGINS, as for the web channel) may connect from a browser.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint

from bot.settings import from_env as settings_from_env
from bot.web.validation import CONVERSATION_ID

# rasa-webchat and our widget send 32 hex characters (a uuid4 without dashes).


def accepted_session_id(requested: Any) -> str:
    """The client's session id if it looks random enough to be unguessable, else a new one."""
    if isinstance(requested, str) and CONVERSATION_ID.fullmatch(requested):
        return requested
    return uuid.uuid4().hex


class SocketIOInput(RasaSocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        # None is engine.io's "same origin only"; a list admits exactly those origins.
        sio.eio.cors_allowed_origins = list(settings_from_env(os.environ).cors_origins) or None

        async def session_request(sid: str, data: Optional[Dict]) -> None:
            session_id = accepted_session_id((data or {}).get("session_id"))
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        # Registering again under the same event name replaces Rasa's handler.
        sio.on("session_request", handler=session_request, namespace=self.namespace)
        return webhook
