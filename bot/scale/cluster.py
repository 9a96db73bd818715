"""The scale-out profile on one machine: `python -m bot cluster` (`make cluster`).

    patients ──► haproxy (BOT_PORT, default 5005)
                   ├─ /socket.io/...  by source address (consistent hashing): a socket.io
                   │                  session stays on the instance that holds it
                   └─ everything else to the least busy instance
                 ──► instance 1, instance 2 (`rasa run`, one process each)
                       ├─ conversations: PostgreSQL (BOT_DATABASE_URL), saved under advisory locks
                       └─ conversation locks and rate limits: Redis (BOT_REDIS_URL)

haproxy checks GET /health every second and takes an instance out after two failures. It
never sends a request again once it has been sent (`retry-on conn-failure`: only a
connection that was refused, before anything was sent, goes to the other instance), so a
patient's message is never answered twice. A stopped instance is started again.
docs/deploy.md explains the pieces and how they map to Kubernetes.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlparse

from bot.settings import SettingsError
from bot.settings import from_env as settings_from_env
from bot.supervisor import Child, ServerSettings, actions_command, child_env, rasa_command, supervise

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
ENDPOINTS = "deploy/endpoints.yml"


@dataclass(frozen=True)
class ClusterSettings:
    host: str
    port: int  # the load balancer's
    instance_ports: Tuple[int, ...]
    actions_port: int
    database_url: str
    redis_url: str
    model: str = "models"
    credentials: str = "credentials.yml"
    endpoints: str = ENDPOINTS
    cors_origins: Tuple[str, ...] = ()
    jwt_secret: Optional[str] = None
    workdir: Path = field(default=Path("var/cluster"))


def cluster_settings(env: Dict[str, str], instances: int = 2, model: str = "models") -> ClusterSettings:
    """Raises SettingsError with a message for the person starting it."""
    s = settings_from_env(env)
    if not s.database_url or not s.database_url.startswith("postgresql"):
        raise SettingsError(
            "BOT_DATABASE_URL must name the PostgreSQL database the instances share, "
            "e.g. postgresql://bot@127.0.0.1:5432/clinic_bot (SQLite is for one instance only)"
        )
    if not 1 <= instances <= 16:
        raise SettingsError("the number of instances must be between 1 and 16")
    return ClusterSettings(
        host=s.host,
        port=s.port,
        instance_ports=tuple(s.port + 1 + i for i in range(instances)),
        actions_port=s.actions_port,
        database_url=s.database_url,
        redis_url=s.redis_url or DEFAULT_REDIS_URL,
        model=model,
        cors_origins=s.cors_origins,
        jwt_secret=s.jwt_secret,
    )


def haproxy_config(host: str, port: int, instance_ports: Tuple[int, ...]) -> str:
    servers = "\n".join(f"    server bot{i + 1} 127.0.0.1:{p} check" for i, p in enumerate(instance_ports))
    return f"""# Written by `python -m bot cluster` (bot/scale/cluster.py); changes here are overwritten.
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # socket.io's WebSocket stays open while the patient chats.
    timeout tunnel 1h
    # A request goes to another instance only if its connection was refused, i.e. before a
    # byte of it was sent: a message is never sent twice.
    retries 2
    retry-on conn-failure
    option redispatch 1
    # A new connection to the instance for each request: an instance that is stopping refuses
    # it (and the request goes to the other one) instead of dropping a request sent on an
    # idle kept-alive connection.
    option http-server-close
    # The instances see each patient's own address (SANIC_PROXIES_COUNT=1) for the rate limits.
    option forwardfor
    option httpchk GET /health
    http-check expect status 200
    default-server inter 1s fall 2 rise 2

frontend patients
    bind {host}:{port}
    acl socketio path_beg /socket.io/
    use_backend socketio if socketio
    default_backend instances

backend instances
    balance leastconn
{servers}

backend socketio
    # socket.io's polling transport needs every request of a session on the same instance.
    balance source
    hash-type consistent
{servers}
"""


def instance_env(env: Dict[str, str], s: ClusterSettings, port: int) -> Dict[str, str]:
    server = ServerSettings(host="127.0.0.1", port=port, actions_port=s.actions_port)
    out = child_env(env, server)
    out.update(
        BOT_PORT=str(port),
        BOT_DATABASE_URL=s.database_url,
        BOT_REDIS_URL=s.redis_url,
        # Behind exactly one proxy (haproxy): the patient's address is the last X-Forwarded-For entry.
        SANIC_PROXIES_COUNT="1",
        # On SIGTERM, /health fails for 3 s before the instance stops: haproxy (2 failed checks
        # 1 s apart) has stopped sending it patients by then.
        BOT_DRAIN_SECONDS="3",
    )
    return out


def children(s: ClusterSettings, python: str, env: Dict[str, str], haproxy: str) -> List[Child]:
    base = ServerSettings(
        host="127.0.0.1",
        port=s.port,
        actions_port=s.actions_port,
        model=s.model,
        credentials=s.credentials,
        endpoints=s.endpoints,
        jwt_secret=s.jwt_secret,
        cors_origins=s.cors_origins,
    )
    out = [Child("the action server", actions_command(python, base), child_env(env, base))]
    for n, port in enumerate(s.instance_ports, start=1):
        server = ServerSettings(**{**base.__dict__, "port": port})
        out.append(Child(f"instance {n}", rasa_command(python, server), instance_env(env, s, port), restart=True))
    # -db: in the foreground, logging to the terminal.
    out.append(Child("haproxy", [haproxy, "-db", "-f", str(s.workdir / "haproxy.cfg")], dict(env)))
    return out


def redis_reachable(url: str, timeout: float = 1.0) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=timeout).close()
        return True
    except OSError:
        return False


def run(env: Dict[str, str], cwd: Path, instances: int = 2, model: str = "models") -> int:
    try:
        s = cluster_settings(env, instances, model)
    except SettingsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if haproxy is None:
        print("error: haproxy is not installed (Debian: apt-get install haproxy)", file=sys.stderr)
        return 2
    if not redis_reachable(s.redis_url):
        print(f"error: no Redis answers at {s.redis_url}; set BOT_REDIS_URL", file=sys.stderr)
        return 2
    workdir = cwd / s.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "haproxy.cfg").write_text(haproxy_config(s.host, s.port, s.instance_ports), encoding="utf-8")
    base = f"http://{s.host}:{s.port}"
    database, redis = urlparse(s.database_url), urlparse(s.redis_url)  # no passwords in the banner
    banner = (
        f"\n  {len(s.instance_ports)} instances behind haproxy on {base}\n"
        "  instances: " + ", ".join(f"http://127.0.0.1:{p}" for p in s.instance_ports) + "\n"
        f"  conversations: PostgreSQL on {database.hostname}:{database.port or 5432}{database.path}\n"
        f"  locks and rate limits: Redis on {redis.hostname}:{redis.port or 6379}\n"
        f"  Health: GET {base}/health (of the instance that answers). Stop with Ctrl-C.\n"
    )
    return supervise(children(s, sys.executable, dict(env), haproxy), cwd, base + "/health", banner)
