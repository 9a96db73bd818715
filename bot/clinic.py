"""Clinic details (clinic.yml) and the response variables made from them.

Kept apart from the domain so a clinic can change its phone number or crisis country by
editing one data file, with no retraining.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping

REQUIRED_FIELDS = ("name", "phone", "email", "hours", "website", "booking_url", "country", "crisis")
COUNTRY_NAMES = {"US": "the US", "CA": "Canada", "GB": "the UK", "AU": "Australia"}


class ClinicConfigError(ValueError):
    """clinic.yml is missing something the responses need."""


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str
    email: str
    hours: str
    website: str
    booking_url: str
    country: str
    crisis_line: str
    emergency_number: str
    outside_note: str


def parse_clinic(data: Mapping[str, Any]) -> Clinic:
    """Validates the raw clinic.yml mapping and picks the crisis resources of its country."""
    if not isinstance(data, Mapping):
        raise ClinicConfigError("clinic.yml must be a mapping of field: value")
    missing = [f for f in REQUIRED_FIELDS if not data.get(f)]
    if missing:
        raise ClinicConfigError(f"clinic.yml is missing: {', '.join(missing)}")
    country = str(data["country"]).upper()
    crisis = data["crisis"]
    if not isinstance(crisis, Mapping) or country not in crisis:
        raise ClinicConfigError(f"clinic.yml has no crisis entry for country {country!r}")
    entry = crisis[country]
    if not entry.get("line") or not entry.get("emergency_number"):
        raise ClinicConfigError(f"crisis entry {country!r} needs `line` and `emergency_number`")
    country_name = COUNTRY_NAMES.get(country, country)
    outside_note = str(data.get("outside_note") or "Outside {country}, call your local emergency number.")
    for field in ("website", "booking_url"):
        if not str(data[field]).startswith("https://"):
            raise ClinicConfigError(f"clinic.yml {field} must be an https:// address")
    return Clinic(
        name=str(data["name"]),
        phone=str(data["phone"]),
        email=str(data["email"]),
        hours=str(data["hours"]),
        website=str(data["website"]),
        booking_url=str(data["booking_url"]),
        country=country,
        crisis_line=str(entry["line"]),
        emergency_number=str(entry["emergency_number"]),
        outside_note=outside_note.replace("{country}", country_name),
    )


def load_clinic(path: Path) -> Clinic:
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ClinicConfigError(f"cannot read clinic details from {path}: {e}") from e
    return parse_clinic(yaml.safe_load(text) or {})


def response_variables(clinic: Clinic) -> Dict[str, str]:
    """The {placeholders} the domain's responses may use."""
    return {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "clinic_email": clinic.email,
        "clinic_hours": clinic.hours,
        "clinic_website": clinic.website,
        "clinic_booking_url": clinic.booking_url,
        "crisis_line": clinic.crisis_line,
        "emergency_number": clinic.emergency_number,
        "crisis_outside_note": clinic.outside_note,
        "emergency_short": f"In an emergency, call {clinic.emergency_number}. {clinic.crisis_line}.",
    }
