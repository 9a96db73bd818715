"""The widget's files and the demo clinic page, as the bot serves them.

Files are read on first use (never at import) and kept in memory with a content hash, so
browsers can revalidate cheaply with If-None-Match.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

STATIC_DIR = Path(__file__).parent / "static"

# Only these files are served: a fixed list, so no path from a request ever reaches the disk.
WIDGET_FILES: Dict[str, str] = {
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
# Clinics embed the widget from the bot's address; an hour keeps page loads fast while a
# new release still reaches every patient the same day (ETags make revalidation cheap).
WIDGET_CACHE_CONTROL = "public, max-age=3600"
# The demo page shows the clinic's current details, so it is revalidated every time.
PAGE_CACHE_CONTROL = "no-cache"

# The demo page loads nothing from elsewhere and runs no inline script; the same policy is
# what a clinic's own page needs to allow for the widget: script, style and connect to the bot.
DEMO_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

DEFAULT_NOTICE = "Educational information, not medical advice."


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str
    cache_control: str

    def headers(self) -> Dict[str, str]:
        return {
            "Content-Type": self.content_type,
            "ETag": self.etag,
            "Cache-Control": self.cache_control,
            "X-Content-Type-Options": "nosniff",
        }


def _asset(body: bytes, content_type: str, cache_control: str) -> Asset:
    return Asset(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', cache_control)


@lru_cache(maxsize=None)
def widget_file(name: str) -> Optional[Asset]:
    if name not in WIDGET_FILES:
        return None
    return _asset((STATIC_DIR / name).read_bytes(), WIDGET_FILES[name], WIDGET_CACHE_CONTROL)


def render_demo_page(template: str, clinic_name: str, notice: str) -> str:
    """The demo page with the clinic's name and notice filled in, HTML-escaped."""
    return template.replace("{{clinic_name}}", html.escape(clinic_name, quote=True)).replace(
        "{{notice}}", html.escape(notice, quote=True)
    )


@lru_cache(maxsize=4)
def demo_page(clinic_name: str, notice: str) -> Asset:
    template = (STATIC_DIR / "demo.html").read_text(encoding="utf-8")
    body = render_demo_page(template, clinic_name, notice).encode("utf-8")
    headers_ct = "text/html; charset=utf-8"
    return _asset(body, headers_ct, PAGE_CACHE_CONTROL)


def not_modified(asset: Asset, if_none_match: Optional[str]) -> bool:
    if not if_none_match:
        return False
    return asset.etag in [t.strip() for t in if_none_match.split(",")]
