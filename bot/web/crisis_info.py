"""What the widget's "Get help now" panel and its offline crisis card show.

Built from the clinic's help lines (clinic.yml) and the kinds of crisis with the fail-safe
word list (content/safety_patterns.yml), served as JSON by the clinic web channel at
GET /webhooks/clinic/crisis:

    {"country": "US", "emergency_number": "911",
     "categories": [{"id", "title", "help": [{"name", "describe", "links"}]}],   most urgent first
     "lines": [{"name", "describe", "links"}],                                   emergency first
     "failsafe": {"patterns": [{"rule", "category", "source", "unless"?}]}}

`links` are {"kind": "call"|"text"|"chat", "label", "href"} with tel:, sms: or https: hrefs
only (bot.clinic.HelpLine.links). The widget keeps a copy in the tab, so that when the bot
cannot be reached it can still recognise a crisis and show the right help.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from bot.clinic import Clinic, ClinicConfigError, HelpLine, load_clinic
from bot.safety.patterns import EMERGENCY, CrisisCategory, PatternError, parse_categories, read_pattern_file

ALLOWED_SCHEMES = ("tel:", "sms:", "https://")


class CrisisInfoError(ValueError):
    """clinic.yml or the pattern file cannot give the crisis information."""


def help_line(clinic: Clinic, kind: str) -> HelpLine:
    """The line a kind of crisis names: `emergency` is the emergency number."""
    return clinic.crisis.emergency_line() if kind == EMERGENCY else clinic.crisis.line(kind)


def line_entry(line: HelpLine) -> Dict[str, Any]:
    links = [link for link in line.links() if link["href"].startswith(ALLOWED_SCHEMES)]
    return {"name": line.name, "describe": line.describe(), "links": links}


def _distinct(lines: Sequence[HelpLine]) -> List[HelpLine]:
    seen: List[HelpLine] = []
    for line in lines:
        if line not in seen:
            seen.append(line)
    return seen


def crisis_info(
    clinic: Clinic, categories: Sequence[CrisisCategory], failsafe: Sequence[Mapping[str, str]]
) -> Dict[str, Any]:
    crisis = clinic.crisis
    panel = _distinct([crisis.emergency_line(), *crisis.lines.values()])
    return {
        "country": clinic.country,
        "emergency_number": clinic.emergency_number,
        "categories": [
            {
                "id": category.id,
                "title": category.title,
                "help": [line_entry(line) for line in _distinct([help_line(clinic, k) for k in category.help])],
            }
            for category in categories
        ],
        "lines": [line_entry(line) for line in panel],
        "failsafe": {"patterns": [dict(p) for p in failsafe]},
    }


def build_crisis_info(clinic_file: Path, patterns_file: Path, nlp=None) -> Dict[str, Any]:
    """The crisis information from the two files; CrisisInfoError (with the reason) if
    either is missing or broken."""
    import yaml

    from bot.safety.failsafe import compile_failsafe

    try:
        clinic = load_clinic(Path(clinic_file))
    except ClinicConfigError as e:
        raise CrisisInfoError(str(e)) from e
    try:
        data = read_pattern_file(Path(patterns_file))
        categories = parse_categories(data)
        failsafe = compile_failsafe(data, nlp)
    except (OSError, yaml.YAMLError, PatternError, KeyError, TypeError, AttributeError) as e:
        raise CrisisInfoError(f"cannot read the crisis rules from {patterns_file}: {e}") from e
    known = {c.id for c in categories}
    unknown = sorted({p["category"] for p in failsafe} - known)
    if unknown:
        raise CrisisInfoError(f"crisis rules name unknown kinds of crisis: {unknown}")
    return crisis_info(clinic, categories, failsafe)


def find_category(info: Mapping[str, Any], category_id: str) -> Optional[Mapping[str, Any]]:
    return next((c for c in info.get("categories", ()) if c.get("id") == category_id), None)


def encoded(info: Mapping[str, Any]) -> Tuple[bytes, bytes]:
    """The JSON body as is and gzipped. The fail-safe list is most of it: about 150 KB of
    regular expressions, 20 KB gzipped, which a phone on a weak signal fetches once a session."""
    body = json.dumps(info, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return body, gzip.compress(body, mtime=0)


def accepts_gzip(accept_encoding: Optional[str]) -> bool:
    """Whether an Accept-Encoding header allows gzip ("gzip, deflate, br"; not "gzip;q=0")."""
    for part in (accept_encoding or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False
