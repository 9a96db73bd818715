"""Starts the scale-out profile (bot/scale/cluster.py) on free local ports, one process at a
time, so that a test or a benchmark can kill, stop and restart a single instance.

The same processes, commands and haproxy configuration as `python -m bot cluster`; only the
supervision differs (here the caller decides when an instance comes back).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from bot.scale.cluster import ClusterSettings, children, haproxy_config
from bot.settings import from_env as settings_from_env
from tools.localserver import free_port, send_message


class LocalCluster:
    def __init__(
        self,
        model: str,
        cwd: Path,
        database_url: str,
        redis_url: str,
        workdir: Path,
        instances: int = 2,
        env: Optional[Dict[str, str]] = None,
    ) -> None:
        self.port = free_port()
        self.env = {**os.environ, **(env or {})}
        self.settings = ClusterSettings(
            host="127.0.0.1",
            port=self.port,
            instance_ports=tuple(free_port() for _ in range(instances)),
            actions_port=free_port(),
            database_url=database_url,
            redis_url=redis_url,
            model=model,
            workdir=workdir,
            cors_origins=settings_from_env(self.env).cors_origins,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.cwd = cwd
        self.workdir = workdir
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.plan = children(self.settings, sys.executable, self.env, haproxy)
        self.procs: Dict[str, subprocess.Popen] = {}

    # The plan's children: the action server, the instances, haproxy.
    def instance_names(self) -> List[str]:
        return [c.name for c in self.plan if c.name.startswith("instance")]

    def instance_url(self, name: str) -> str:
        index = self.instance_names().index(name)
        return f"http://127.0.0.1:{self.settings.instance_ports[index]}"

    def start_child(self, name: str) -> subprocess.Popen:
        child = next(c for c in self.plan if c.name == name)
        log = open(self.workdir / f"{name.replace(' ', '-')}.log", "ab")
        self.procs[name] = subprocess.Popen(
            child.command, cwd=self.cwd, env=child.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self.procs[name]

    def start(self, timeout: float = 300) -> "LocalCluster":
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "haproxy.cfg").write_text(
            haproxy_config("127.0.0.1", self.port, self.settings.instance_ports), encoding="utf-8"
        )
        for child in self.plan:
            self.start_child(child.name)
        for name in self.instance_names():
            self.wait_healthy(name, timeout)
        self.wait_for(self.url + "/health", timeout)
        return self

    def wait_healthy(self, name: str, timeout: float = 300) -> float:
        """Seconds until the instance answers /health with 200."""
        return self.wait_for(self.instance_url(name) + "/health", timeout, self.procs[name])

    def wait_for(self, url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{url}: the process exited with {proc.returncode}; see {self.workdir}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def terminate(self, name: str, timeout: float = 30) -> int:
        self.procs[name].send_signal(signal.SIGTERM)
        return self.procs[name].wait(timeout=timeout)

    def send(self, sender: str, message: str, timeout: float = 30) -> List[dict]:
        return send_message(self.url, sender, message, timeout)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def __enter__(self) -> "LocalCluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
