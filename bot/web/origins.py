"""Which web pages may talk to the bot from a browser.

Browsers send an Origin header with every cross-site request (and with same-site POSTs).
A request from a page that is neither the clinic's site nor the bot's own demo page is
refused, so another site cannot put the clinic's assistant on its pages. Requests without
an Origin header come from programs, not web pages, and are left to the rate limits.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional
from urllib.parse import urlsplit


def normalise_origin(value: str) -> Optional[str]:
    """scheme://host[:port] in lower case, or None if `value` is not an http(s) origin."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


def parse_origins(value: str) -> tuple:
    """The comma-separated origins of BOT_CORS_ORIGINS, normalised; bad entries are errors."""
    origins = []
    for raw in (v for v in value.split(",") if v.strip()):
        origin = normalise_origin(raw)
        if origin is None:
            raise ValueError(f"not a web origin (like https://www.example-clinic.org): {raw.strip()!r}")
        origins.append(origin)
    return tuple(origins)


def origin_allowed(origin: Optional[str], allowed: Iterable[str], own_host: str) -> bool:
    """Whether a request with this Origin header may use the bot.

    `own_host` is the request's Host header: a page served by the bot itself (the demo
    page) is always allowed. The scheme is not compared for it, because behind a TLS proxy
    the bot sees plain http while the page is https.
    """
    if origin is None:
        return True
    normalised = normalise_origin(origin)
    if normalised is None:
        return False
    return normalised in allowed or urlsplit(normalised).netloc == _host_with_port(normalised, own_host)


def _host_with_port(origin: str, host_header: str) -> str:
    """The Host header written the way `origin` writes its host (default port left out)."""
    host = host_header.strip().lower()
    default = ":443" if origin.startswith("https:") else ":80"
    return host[: -len(default)] if host.endswith(default) else host


def cors_headers(origin: str) -> Dict[str, str]:
    """Headers that let the browser page at `origin` (already allowed) read the answer."""
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
