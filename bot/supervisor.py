"""Runs the Rasa server and the action server together, and stops both cleanly.

Used by `make run` (`python -m bot run`). Ctrl-C or SIGTERM stops both processes; if either
one dies, the other is stopped too, so the bot is never left half running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from bot.settings import DEFAULT_ACTIONS_PORT, DEFAULT_HOST, DEFAULT_PORT, SettingsError
from bot.settings import from_env as settings_from_env


@dataclass(frozen=True)
class ServerSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    actions_port: int = DEFAULT_ACTIONS_PORT
    model: str = "models"
    credentials: str = "credentials.yml"
    endpoints: str = "endpoints.yml"
    jwt_secret: Optional[str] = None
    cors_origins: tuple = ()
    workers: int = 1
    log_level_debug: bool = False

    @classmethod
    def from_env(
        cls,
        env: Dict[str, str],
        model: str = "models",
        credentials: str = "credentials.yml",
        endpoints: str = "endpoints.yml",
    ) -> "ServerSettings":
        try:
            settings = settings_from_env(env)
        except SettingsError as e:
            raise SystemExit(f"error: {e}") from None
        return cls(
            host=settings.host,
            port=settings.port,
            actions_port=settings.actions_port,
            model=model,
            credentials=credentials,
            endpoints=endpoints,
            jwt_secret=settings.jwt_secret,
            cors_origins=settings.cors_origins,
            workers=settings.workers,
        )


def rasa_command(python: str, s: ServerSettings) -> List[str]:
    """The `rasa run` command line for these settings."""
    cmd = [
        python,
        "-m",
        "bot.rasa_server",
        "run",
        "--model",
        s.model,
        "--interface",
        s.host,
        "--port",
        str(s.port),
        "--endpoints",
        s.endpoints,
        "--credentials",
        s.credentials,
    ]
    for origin in s.cors_origins:
        cmd += ["--cors", origin]
    # The HTTP API exposes every conversation and accepts model uploads: it stays off unless
    # a JWT secret is configured (a token in the query string would end up in access logs).
    if s.jwt_secret:
        cmd += ["--enable-api", "--jwt-secret", s.jwt_secret, "--jwt-method", "HS256"]
    return cmd


def actions_command(python: str, s: ServerSettings) -> List[str]:
    return [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(s.actions_port)]


REQUEST_MAX_BYTES = 1024 * 1024


def child_env(env: Dict[str, str], s: ServerSettings) -> Dict[str, str]:
    out = dict(env)
    out["ACTION_SERVER_URL"] = f"http://127.0.0.1:{s.actions_port}/webhook"
    # Telemetry is on by default in Rasa and would try to reach the internet.
    out["RASA_TELEMETRY_ENABLED"] = "false"
    out.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Rasa's dependencies print pages of deprecation warnings at start-up that say nothing
    # to the person running the bot.
    out.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::PendingDeprecationWarning")
    out.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    # Sanic reads SANIC_* settings from the environment. Its default request limit is 100 MB;
    # no request to this bot needs more than a few kilobytes (the channels refuse long messages
    # themselves), so anything over 1 MB is refused with a 413 before it is read.
    out.setdefault("SANIC_REQUEST_MAX_SIZE", str(REQUEST_MAX_BYTES))
    # Rasa starts this many Sanic worker processes on the one port (BOT_WORKERS), each with the
    # model, taking turns on a conversation through the lock store in endpoints.yml.
    out["SANIC_WORKERS"] = str(s.workers)
    return out


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


@dataclass(frozen=True)
class Child:
    name: str  # for messages: "the Rasa server"
    command: List[str]
    env: Dict[str, str]
    # Started again when it stops (an instance behind a load balancer); otherwise its stop
    # stops everything, so the bot is never left half running.
    restart: bool = False


def supervise(children: List[Child], cwd: Path, ready_url: str, banner: str, ready_timeout: float = 300) -> int:
    """Runs the children until Ctrl-C or SIGTERM (then stops them all, gracefully), or until
    one that is not restarted stops. Prints `banner` once `ready_url` answers."""
    procs: Dict[int, subprocess.Popen] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed: Optional[Child] = None
    try:
        for i, child in enumerate(children):
            procs[i] = subprocess.Popen(child.command, cwd=cwd, env=child.env)
        if wait_until_up(ready_url, procs[len(children) - 1], timeout=ready_timeout):
            print(banner, flush=True)
        while not stopping and failed is None:
            time.sleep(0.3)
            for i, child in enumerate(children):
                if procs[i].poll() is None:
                    continue
                if child.restart:
                    print(f"{child.name} stopped (exit code {procs[i].returncode}); starting it again.", flush=True)
                    procs[i] = subprocess.Popen(child.command, cwd=cwd, env=child.env)
                else:
                    failed = child
                    print(
                        f"error: {child.name} stopped with exit code {procs[i].returncode}; "
                        "see the messages above. Stopping the bot.",
                        file=sys.stderr,
                        flush=True,
                    )
                    break
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0 if stopping or failed is None else 1


def run(settings: ServerSettings, cwd: Path, action_server: bool = True) -> int:
    env = child_env(dict(os.environ), settings)
    python = sys.executable
    children = []
    if action_server:
        children.append(Child("the action server", actions_command(python, settings), env))
    children.append(Child("the Rasa server", rasa_command(python, settings), env))
    base = f"http://{settings.host}:{settings.port}"
    banner = (
        f"\n  The bot is running on {base}\n"
        f"  Demo page with the chat widget: {base}/\n"
        f'  Widget for the clinic\'s site:   <script src="{base}/widget/widget.js" defer></script>\n'
        f"  Health:    GET {base}/health\n"
        f"  REST:      POST {base}/webhooks/rest/webhook"
        f'  {{"sender": "<random id>", "message": "hi"}}\n'
        f"  socket.io: {base}/socket.io (rasa-webchat compatible)\n"
        f"  Chat in a terminal with `make shell`. Stop with Ctrl-C.\n"
    )
    return supervise(children, cwd, base + "/", banner)
