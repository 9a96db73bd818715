"""Starts the real bot (`python -m bot run`) on a local port and stops it again.

Shared by the tests, the evaluation and the benchmark, so all of them talk to the bot
exactly as a clinic's web page does: over HTTP, through a real Rasa server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional


def send_message(url: str, sender: str, message: str, timeout: float = 30) -> List[dict]:
    """Sends one message to the bot at `url` through the REST channel; returns its replies."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    req = urllib.request.Request(
        url + "/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalBot:
    def __init__(
        self,
        model: str,
        cwd: Path,
        env: Optional[Dict[str, str]] = None,
        action_server: bool = True,
        log_path: Optional[Path] = None,
        command_prefix: Optional[List[str]] = None,
        credentials: Optional[str] = None,
        endpoints: Optional[str] = None,
    ) -> None:
        self.port = free_port()
        self.actions_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.model, self.cwd = model, cwd
        self.env = {**os.environ, **(env or {}), "BOT_PORT": str(self.port), "ACTIONS_PORT": str(self.actions_port)}
        self.action_server = action_server
        self.log_path = log_path
        # e.g. ["strace", "-f", ...]: the bot then runs as a child of that command.
        self.command_prefix = command_prefix or []
        self.credentials = credentials
        self.endpoints = endpoints
        self.proc: Optional[subprocess.Popen] = None
        self.started_at = self.up_at = 0.0

    def start(self, timeout: float = 300) -> "LocalBot":
        cmd = [*self.command_prefix, sys.executable, "-m", "bot", "run", "--model", self.model]
        if not self.action_server:
            cmd.append("--no-action-server")
        if self.credentials:
            cmd += ["--credentials", self.credentials]
        if self.endpoints:
            cmd += ["--endpoints", self.endpoints]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the bot exited with {self.proc.returncode} before it was up"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    self.up_at = time.monotonic()
                    return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"the bot did not answer on {self.url} within {timeout:.0f} s")

    def send(self, sender: str, message: str, timeout: float = 30) -> List[dict]:
        return send_message(self.url, sender, message, timeout)

    def pids(self) -> List[int]:
        """The supervisor and its children (the Rasa server and the action server)."""
        if not self.proc:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        kids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [self.proc.pid, *kids]

    def stop(self, timeout: float = 30) -> int:
        if self.proc and self.proc.poll() is None:
            # Under a command prefix, signal the bot itself, not the wrapper.
            target = self.pids()[1] if self.command_prefix and len(self.pids()) > 1 else self.proc.pid
            os.kill(target, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else 0

    def __enter__(self) -> "LocalBot":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
