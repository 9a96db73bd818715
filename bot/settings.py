"""The bot's settings from the environment: every BOT_* variable and ACTIONS_PORT, read and
validated here and nowhere else, each default written once.

`from_env(os.environ)` is called where a setting is needed (the CLI, the channels, the
tracker store), never at import time. The README's settings table lists exactly `VARIABLES`
(a test checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

from bot.web.origins import parse_origins

DEFAULT_HOST = "127.0.0.1"  # localhost only: put a TLS reverse proxy in front for the internet
DEFAULT_PORT = 5005
DEFAULT_ACTIONS_PORT = 5055

DATABASE_URL_ENV = "BOT_DATABASE_URL"
VARIABLES = {
    "BOT_PORT": "port of the bot",
    "BOT_HOST": "interface to listen on",
    "BOT_DATABASE_URL": "conversation database (default: the SQLite file in endpoints.yml)",
    "BOT_CORS_ORIGINS": "the clinic's web pages allowed to use the bot, comma-separated",
    "BOT_JWT_SECRET": "turns on Rasa's HTTP API, protected by JWT",
    "BOT_WORKERS": "worker processes answering on the one port (2: both cores of a 2-core machine)",
    "BOT_REDIS_URL": "Redis shared by several instances: locks and rate limits (scale-out profile only)",
    "BOT_DRAIN_SECONDS": "behind a load balancer: on SIGTERM, answer /health with 503 this long before stopping",
    "ACTIONS_PORT": "port of the action server",
}


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    actions_port: int = DEFAULT_ACTIONS_PORT
    database_url: Optional[str] = None  # None: the SQLite file named in endpoints.yml
    cors_origins: Tuple[str, ...] = ()
    jwt_secret: Optional[str] = None
    redis_url: Optional[str] = None  # None: one instance, locks and rate limits in memory
    workers: int = 1
    drain_seconds: float = 0.0


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip() or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name} must be a port number, got {raw!r}")
    return int(raw)


def _database_url(raw: Optional[str]) -> Optional[str]:
    url = (raw or "").strip()
    if not url:
        return None
    if "://" not in url:
        raise SettingsError(f"BOT_DATABASE_URL must be a database URL such as postgresql://user@host/db, got {url!r}")
    # SQLAlchemy 1.4 no longer accepts the old "postgres://" scheme that hosting providers hand out.
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


def _seconds(env: Mapping[str, str], name: str) -> float:
    raw = (env.get(name) or "").strip() or "0"
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 300:
        raise SettingsError(f"{name} must be a number of seconds between 0 and 300, got {raw!r}")
    return value


# More workers than this buys nothing on the machines a clinic runs the bot on, and each one
# holds its own copy of the model (~0.5 GB).
MAX_WORKERS = 8


def _workers(env: Mapping[str, str]) -> int:
    raw = (env.get("BOT_WORKERS") or "").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WORKERS:
        raise SettingsError(f"BOT_WORKERS must be a whole number from 1 to {MAX_WORKERS}, got {raw!r}")
    return int(raw)


def _redis_url(raw: Optional[str]) -> Optional[str]:
    url = (raw or "").strip()
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"BOT_REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379/0, got {url!r}")
    return url or None


def from_env(env: Mapping[str, str]) -> Settings:
    try:
        origins = parse_origins(env.get("BOT_CORS_ORIGINS") or "")
    except ValueError as e:
        raise SettingsError(f"BOT_CORS_ORIGINS: {e}") from None
    return Settings(
        host=(env.get("BOT_HOST") or "").strip() or DEFAULT_HOST,
        port=_port(env, "BOT_PORT", DEFAULT_PORT),
        actions_port=_port(env, "ACTIONS_PORT", DEFAULT_ACTIONS_PORT),
        database_url=_database_url(env.get(DATABASE_URL_ENV)),
        cors_origins=origins,
        jwt_secret=env.get("BOT_JWT_SECRET") or None,
        redis_url=_redis_url(env.get("BOT_REDIS_URL")),
        drain_seconds=_seconds(env, "BOT_DRAIN_SECONDS"),
        workers=_workers(env),
    )
