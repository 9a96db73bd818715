"""The clinic's web channel: the widget's endpoint, its files, the demo page and /health.

A thin Sanic adapter around bot.web (request checks, origins, rate limits, assets). It sits
beside Rasa's REST and socket.io channels (credentials.yml) and differs from REST in what a
public web page needs: bad input gets a 4xx with a message for the patient (never a 500 or a
stack trace), only the clinic's pages may call it, each conversation and each address is
rate-limited, and the patient's words are never logged.

    POST /webhooks/clinic/webhook   {"sender": "<random id>", "message": "<text>"}
    GET  /webhooks/clinic/crisis    help lines and fail-safe word list (bot/web/crisis_info.py)
    GET  /widget/widget.js, /widget/widget.css      the widget
    GET  /                                           demo clinic page with the widget
    GET  /health                                     model and conversation store status
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_cors.core import SANIC_CORS_EVALUATED

from bot.storage.tracker_store import find_clinic_store, without_fail_safe
from bot.web import assets
from bot.web.crisis_info import accepts_gzip
from bot.settings import from_env as settings_from_env
from bot.web.origins import cors_headers, origin_allowed
from bot.web.rate_limit import SlidingWindowLimiter
from bot.web.validation import (
    DEFAULT_MAX_MESSAGE_CHARS,
    ChatRequest,
    RequestError,
    max_body_bytes,
    parse_chat_request,
    too_large,
)

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/clinic/webhook"
CRISIS_PATH = "/webhooks/clinic/crisis"
# The help lines change only when clinic.yml does (and the bot restarts): browsers and
# proxies may keep them for five minutes.
CRISIS_CACHE_CONTROL = "public, max-age=300"
JSON = "application/json"
# After a failed build (a broken clinic.yml or pattern file), wait this long before trying again.
CRISIS_RETRY_SECONDS = 30.0

RATE_LIMITED = "You're sending messages faster than I can answer. " "Please wait a moment and try again."
CRISIS_UNAVAILABLE = (
    "The help line information is not available right now. In an emergency, call your local emergency number."
)
UNAVAILABLE = (
    "Sorry, the assistant can't answer right now. Please try again in a moment. "
    "In an emergency, call your local emergency number."
)


class _SiteBlueprint(Blueprint):
    """A blueprint that also serves the demo page at "/".

    Rasa registers "/" itself (a text with its version) and Sanic cannot replace a route, so
    the page is answered by a request middleware, which runs before the matched handler.
    """

    def register(self, app: Any, options: Dict[str, Any]) -> None:
        super().register(app, options)
        before_routing = getattr(self.ctx, "before_routing", None)
        if before_routing is not None:
            app.register_middleware(before_routing, "request")


def _cors_handled(request: Request) -> None:
    """Tell Rasa's CORS extension that this response's CORS headers are already set.

    Without it the extension adds a second Access-Control-Allow-Origin header, and browsers
    reject a response that has two. (Preflight OPTIONS requests are answered by that
    extension before any route runs; `bot run` gives it the same origins, BOT_CORS_ORIGINS.)
    """
    setattr(request.ctx, SANIC_CORS_EVALUATED, "1")


class ClinicWebInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "clinic"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ClinicWebInput":
        c = credentials or {}
        settings = settings_from_env(os.environ)
        return cls(
            max_message_chars=int(c.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            per_conversation=int(c.get("messages_per_minute_per_conversation", 20)),
            per_address=int(c.get("messages_per_minute_per_address", 120)),
            response_timeout=float(c.get("response_timeout_seconds", 30)),
            demo_page=bool(c.get("demo_page", True)),
            clinic_file=str(c.get("clinic_file", "clinic.yml")),
            patterns_file=str(c.get("patterns_file", "content/safety_patterns.yml")),
            allowed_origins=settings.cors_origins,
            redis_url=settings.redis_url,
            drain_seconds=settings.drain_seconds,
            workers=settings.workers,
        )

    def __init__(
        self,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        per_conversation: int = 20,
        per_address: int = 120,
        response_timeout: float = 30,
        demo_page: bool = True,
        clinic_file: str = "clinic.yml",
        allowed_origins: tuple = (),
        patterns_file: str = "content/safety_patterns.yml",
        redis_url: Optional[str] = None,
        drain_seconds: float = 0.0,
        workers: int = 1,
        machine_limits_file: Optional[str] = None,
    ) -> None:
        self.drain_seconds = drain_seconds
        self.draining = False
        self.max_message_chars = max_message_chars
        self.per_conversation: Any = SlidingWindowLimiter(per_conversation)
        self.per_address: Any = SlidingWindowLimiter(per_address)
        self.shared_limits: Any = None
        if redis_url:
            # Several instances: the same limits whichever instance a patient reaches.
            from bot.scale.shared_limits import shared_limiters

            self.per_address, self.per_conversation, self.shared_limits = shared_limiters(
                redis_url, per_address, per_conversation
            )
        elif workers > 1:
            # Several worker processes on one port: the same limits whichever worker answers.
            from bot.scale.machine_limits import machine_limiters

            self.per_address, self.per_conversation = machine_limiters(
                machine_limits_file, per_address, per_conversation
            )
        self.response_timeout = response_timeout
        self.demo_page = demo_page
        self.clinic_file = clinic_file
        self.allowed_origins = allowed_origins
        self._demo_texts: Optional[tuple] = None
        self.patterns_file = patterns_file
        self._crisis_info: Optional[Dict[str, Any]] = None
        self._crisis_bodies: Optional[Tuple[bytes, bytes]] = None  # its JSON, plain and gzipped
        self._crisis_failed_at: Optional[float] = None
        self._crisis_lock: Optional[asyncio.Lock] = None

    def url_prefix(self) -> Text:
        # Absolute: the widget files, the demo page and /health live at the site's root.
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = _SiteBlueprint("clinic_web", __name__)
        bp.ctx.before_routing = self._before_routing

        @bp.listener("after_server_start")
        async def strict_conversation_store(app: Any, _loop: Any) -> None:
            # The model is loaded before the server starts. A conversation that cannot be read
            # gets a 503 on every channel, never a fresh conversation in its place.
            without_fail_safe(getattr(app.ctx, "agent", None))

        @bp.listener("after_server_start")
        async def drain_before_stopping(app: Any, loop: Any) -> None:
            # Replaces Sanic's SIGTERM handler (set just before this runs). Stopping at once
            # would accept a connection the balancer is opening and close it unanswered.
            if self.drain_seconds > 0:
                loop.add_signal_handler(signal.SIGTERM, self._drain, app, loop)

        @bp.route(WEBHOOK_PATH, methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            refused = self._refuse_other_sites(request)
            if refused:
                return refused
            origin = request.headers.get("origin")
            cors = cors_headers(origin) if origin else {}
            body = await read_body(request, max_body_bytes(self.max_message_chars))
            parsed = (
                parse_chat_request(body, self.max_message_chars)
                if body is not None
                else too_large(self.max_message_chars)
            )
            if isinstance(parsed, RequestError):
                logger.info("clinic.request.rejected error=%s", parsed.error)
                return error_response(parsed, cors)
            wait = await self._rate_limited(_client_address(request), parsed.conversation_id)
            if wait:
                logger.info("clinic.request.rate_limited conversation=%s", parsed.conversation_id)
                return error_response(
                    RequestError(429, "rate_limited", RATE_LIMITED), {**cors, "Retry-After": str(wait)}
                )
            return await self._answer(parsed, on_new_message, cors)

        @bp.route(CRISIS_PATH, methods=["GET"])
        async def crisis(request: Request) -> HTTPResponse:
            refused = self._refuse_other_sites(request)
            if refused:
                return refused
            origin = request.headers.get("origin")
            # Vary on every answer, so a cache never hands a same-site copy to another origin
            # (nor a gzipped one to a client that cannot read it).
            cors = {**(cors_headers(origin) if origin else {}), "Vary": "Origin, Accept-Encoding"}
            info = await self._crisis()
            if info is None or self._crisis_bodies is None:
                return error_response(RequestError(503, "crisis_info_unavailable", CRISIS_UNAVAILABLE), cors)
            plain, packed = self._crisis_bodies
            headers = {**cors, "Cache-Control": CRISIS_CACHE_CONTROL}
            if accepts_gzip(request.headers.get("accept-encoding")):
                return response.raw(packed, headers={**headers, "Content-Encoding": "gzip"}, content_type=JSON)
            return response.raw(plain, headers=headers, content_type=JSON)

        @bp.route("/widget/<name:str>", methods=["GET"])
        async def widget_file(request: Request, name: str) -> HTTPResponse:
            asset = assets.widget_file(name)
            if asset is None:
                return response.json({"error": "not_found", "message": "No such file."}, status=404)
            return _asset_response(request, asset)

        @bp.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if self.draining:
                # Stopping (SIGTERM, BOT_DRAIN_SECONDS): the balancer takes this instance out
                # while it still answers what reaches it.
                return response.json({"status": "draining"}, status=503, headers={"Cache-Control": "no-store"})
            agent = getattr(request.app.ctx, "agent", None)
            model_loaded = bool(agent and agent.is_ready())
            store = find_clinic_store(getattr(agent, "tracker_store", None))
            # Another tracker store configured in endpoints.yml reports nothing about itself.
            store_health = store.health() if store is not None else {"status": "not checked"}
            parts = {"conversation_store": store_health}
            # The scale-out lock store (bot/scale/lock_store.py) says whether Redis answers.
            lock_health = getattr(getattr(agent, "lock_store", None), "health", None)
            if callable(lock_health):
                parts["lock_store"] = lock_health()
            if self.shared_limits is not None:
                parts["rate_limits"] = self.shared_limits.health("limits are per instance")
            ok = model_loaded and all(part["status"] in ("ok", "not checked") for part in parts.values())
            # A degraded store still answers patients, so a load balancer must keep sending
            # traffic (200); only a bot without a model cannot answer (503).
            return response.json(
                {"status": "ok" if ok else "degraded", "model": "loaded" if model_loaded else "loading", **parts},
                status=200 if model_loaded else 503,
                headers={"Cache-Control": "no-store"},
            )

        return bp

    def _drain(self, app: Any, loop: Any) -> None:
        if self.draining:
            return
        self.draining = True
        logger.info("SIGTERM: /health answers 503 for %.0f s, then the server stops", self.drain_seconds)
        loop.call_later(self.drain_seconds, app.stop)

    async def _rate_limited(self, address: str, conversation_id: str) -> Optional[int]:
        """Seconds to wait, or None (and the message is counted). The address is checked first:
        a message it refuses does not count against the conversation."""
        for limiter, key in ((self.per_address, address), (self.per_conversation, conversation_id)):
            wait = limiter.retry_after(key)
            if inspect.isawaitable(wait):
                wait = await wait
            if wait:
                return wait
        return None

    def _refuse_other_sites(self, request: Request) -> Optional[HTTPResponse]:
        """A 403 for a browser request from a site that may not use the assistant, else None."""
        _cors_handled(request)
        if origin_allowed(request.headers.get("origin"), self.allowed_origins, request.host):
            return None
        return error_response(
            RequestError(403, "origin_not_allowed", "This website is not allowed to use the assistant."), None
        )

    async def _answer(
        self, chat: ChatRequest, on_new_message: Callable[[UserMessage], Awaitable[Any]], cors: Dict[str, str]
    ) -> HTTPResponse:
        collector = CollectingOutputChannel()
        message = UserMessage(chat.text, collector, chat.conversation_id, input_channel=self.name())
        try:
            await asyncio.wait_for(on_new_message(message), timeout=self.response_timeout)
        except asyncio.TimeoutError:
            logger.error("clinic.message.timeout conversation=%s", chat.conversation_id)
            return error_response(RequestError(504, "timeout", UNAVAILABLE), cors)
        except Exception as e:  # never a stack trace or a 500 to the patient; never their words in the log
            logger.error("clinic.message.failed conversation=%s error=%s", chat.conversation_id, type(e).__name__)
            return error_response(RequestError(503, "unavailable", UNAVAILABLE), cors)
        return response.json(collector.messages, headers={**cors, "Cache-Control": "no-store"})

    async def _crisis(self) -> Optional[Dict[str, Any]]:
        """The crisis information, built on first use (off the event loop: it loads the spaCy
        pipeline) and kept; None while clinic.yml or the pattern file is broken."""
        if self._crisis_info is not None:
            return self._crisis_info
        if self._crisis_lock is None:
            self._crisis_lock = asyncio.Lock()
        async with self._crisis_lock:
            if self._crisis_info is not None:
                return self._crisis_info
            if self._crisis_failed_at is not None and time.monotonic() - self._crisis_failed_at < CRISIS_RETRY_SECONDS:
                return None
            from bot.web.crisis_info import build_crisis_info, encoded

            def build() -> Tuple[Dict[str, Any], Tuple[bytes, bytes]]:
                info = build_crisis_info(Path(self.clinic_file), Path(self.patterns_file))
                return info, encoded(info)

            loop = asyncio.get_running_loop()
            try:
                self._crisis_info, self._crisis_bodies = await loop.run_in_executor(None, build)
            except Exception as e:  # never a 500: the widget falls back to its own copy
                logger.error("clinic.crisis_info.failed error=%s: %s", type(e).__name__, e)
                self._crisis_failed_at = time.monotonic()
                return None
            self._crisis_failed_at = None
            return self._crisis_info

    async def _before_routing(self, request: Request) -> Optional[HTTPResponse]:
        if request.path == "/" and request.method in ("GET", "HEAD") and self.demo_page:
            return self._root_page(request)
        return None

    def _root_page(self, request: Request) -> HTTPResponse:
        if self._demo_texts is None:
            self._demo_texts = _demo_page_texts(self.clinic_file)
        page = assets.demo_page(*self._demo_texts)
        return _asset_response(
            request, page, {"Content-Security-Policy": assets.DEMO_PAGE_CSP, "Referrer-Policy": "no-referrer"}
        )


def _demo_page_texts(clinic_file: str) -> tuple:
    from bot.clinic import load_clinic, response_variables

    variables = response_variables(load_clinic(Path(clinic_file)))
    return variables["clinic_name"], f"{assets.DEFAULT_NOTICE} {variables['emergency_short']}"


async def read_body(request: Request, limit: int) -> Optional[bytes]:
    """The request body, or None as soon as it is larger than `limit` (the rest is not read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list = []
    size = 0
    stream = request.stream
    if stream is None:
        return request.body
    while True:
        chunk = await stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def _client_address(request: Request) -> str:
    # remote_addr honours X-Forwarded-For only when Sanic is told how many proxies to trust
    # (SANIC_PROXIES_COUNT), so a client cannot dodge the limit by sending that header.
    return request.remote_addr or request.ip or "unknown"


def error_response(err: RequestError, headers: Optional[Dict[str, str]]) -> HTTPResponse:
    return response.json(err.body(), status=err.status, headers={**(headers or {}), "Cache-Control": "no-store"})


def _asset_response(request: Request, asset: assets.Asset, extra: Optional[Dict[str, str]] = None) -> HTTPResponse:
    headers = {**asset.headers(), **(extra or {})}
    if assets.not_modified(asset, request.headers.get("if-none-match")):
        return response.empty(status=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    body = b"" if request.method == "HEAD" else asset.body
    return response.raw(body, headers=headers, content_type=asset.content_type)
