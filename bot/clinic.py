"""Clinic details (clinic.yml) and the response variables made from them.

Kept apart from the domain so a clinic can change its phone number or crisis country by
editing one data file, with no retraining.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

REQUIRED_FIELDS = ("name", "phone", "email", "timezone", "opening_hours", "website", "booking_url", "country", "crisis")
COUNTRY_NAMES = {"US": "the US", "CA": "Canada", "GB": "the UK", "AU": "Australia"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))
OpeningHours = Dict[str, Tuple[time, time]]


class ClinicConfigError(ValueError):
    """clinic.yml is missing something the responses need."""


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str
    email: str
    hours: str  # for patients, written from opening_hours ("Mon-Fri 9am-5pm")
    timezone: str  # IANA name, e.g. America/New_York
    opening_hours: OpeningHours = field(compare=False)  # {"mon": (09:00, 17:00)}, local time
    website: str
    booking_url: str
    country: str
    crisis_line: str
    emergency_number: str
    outside_note: str


def parse_opening_hours(raw: Mapping[str, str]) -> OpeningHours:
    """{"mon": "09:00-17:00"} -> {"mon": (09:00, 17:00)}; raises ValueError on a bad entry."""
    if not isinstance(raw, Mapping):
        raise ValueError("opening_hours must map days (mon, tue, ...) to times like 09:00-17:00")
    hours = {}
    for day, span in raw.items():
        day = str(day).lower()[:3]
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r} in opening_hours")
        start, _, end = str(span).partition("-")
        try:
            opens, closes = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        except ValueError:
            raise ValueError(f"opening_hours {day}: {span!r} is not like 09:00-17:00") from None
        if closes <= opens:
            raise ValueError(f"opening_hours {day}: closing time must be after opening time")
        hours[day] = (opens, closes)
    return {day: hours[day] for day in DAYS if day in hours}


def _clock(t: time) -> str:
    suffix = "am" if t.hour < 12 else "pm"
    hour = t.hour % 12 or 12
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def format_hours(hours: OpeningHours) -> str:
    """Opening hours as patients read them: consecutive days with the same times together,
    "Mon-Fri 9am-5pm, Sat 10am-2pm"."""
    groups: list = []  # [first day, last day, (opens, closes)]
    for i, day in enumerate(DAYS):
        if day not in hours:
            continue
        if groups and groups[-1][2] == hours[day] and DAYS.index(groups[-1][1]) == i - 1:
            groups[-1][1] = day
        else:
            groups.append([day, day, hours[day]])
    return ", ".join(
        f"{first.title()}{'' if first == last else '-' + last.title()} {_clock(opens)}-{_clock(closes)}"
        for first, last, (opens, closes) in groups
    )


def parse_clinic(data: Mapping[str, Any]) -> Clinic:
    """Validates the raw clinic.yml mapping and picks the crisis resources of its country."""
    if not isinstance(data, Mapping):
        raise ClinicConfigError("clinic.yml must be a mapping of field: value")
    missing = [f for f in REQUIRED_FIELDS if not data.get(f)]
    if missing:
        raise ClinicConfigError(f"clinic.yml is missing: {', '.join(missing)}")
    if "hours" in data:
        raise ClinicConfigError(
            "clinic.yml: `hours` is written from `opening_hours` now; remove it, so that "
            "the hours patients read and the hours the bot checks cannot disagree"
        )
    try:
        opening_hours = parse_opening_hours(data["opening_hours"])
    except ValueError as e:
        raise ClinicConfigError(f"clinic.yml {e}") from e
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(data["timezone"]))
    except (ValueError, KeyError, OSError):
        raise ClinicConfigError(
            f"clinic.yml timezone {data['timezone']!r} is not a time zone name " "such as America/New_York"
        ) from None
    country = str(data["country"]).upper()
    crisis = data["crisis"]
    if not isinstance(crisis, Mapping) or country not in crisis:
        raise ClinicConfigError(f"clinic.yml has no crisis entry for country {country!r}")
    entry = crisis[country]
    if not entry.get("line") or not entry.get("emergency_number"):
        raise ClinicConfigError(f"crisis entry {country!r} needs `line` and `emergency_number`")
    country_name = COUNTRY_NAMES.get(country, country)
    outside_note = str(data.get("outside_note") or "Outside {country}, call your local emergency number.")
    for link in ("website", "booking_url"):
        if not str(data[link]).startswith("https://"):
            raise ClinicConfigError(f"clinic.yml {link} must be an https:// address")
    return Clinic(
        name=str(data["name"]),
        phone=str(data["phone"]),
        email=str(data["email"]),
        hours=format_hours(opening_hours),
        timezone=str(data["timezone"]),
        opening_hours=opening_hours,
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
