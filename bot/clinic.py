"""Clinic details (clinic.yml) and the response variables made from them.

Kept apart from the domain so a clinic can change its phone number or crisis country by
editing one data file, with no retraining.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

REQUIRED_FIELDS = ("name", "phone", "email", "timezone", "opening_hours", "website", "booking_url", "country", "crisis")
COUNTRY_NAMES = {"US": "the US", "CA": "Canada", "GB": "the UK", "AU": "Australia"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))
OpeningHours = Dict[str, Tuple[time, time]]
# The kinds of help line a country entry may list. Which kind a crisis names first is safety
# policy (`crisis_categories` in content/safety_patterns.yml); the numbers are the clinic's.
LINE_KINDS = ("suicide", "sexual_assault", "abuse", "poison")
_DIALLABLE = re.compile(r"^\+?[0-9][0-9 ()-]{1,18}[0-9]$")


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
    crisis: "CrisisResources"
    outside_note: str
    # Each article answer ends with the next-steps line (`utter_next_steps` in domain.yml):
    # add questions to the list for the provider, or book. A clinic can switch it off.
    next_steps: bool = True

    @property
    def emergency_number(self) -> str:
        return self.crisis.emergency_number

    @property
    def crisis_line(self) -> str:
        return self.crisis.line("suicide").describe()


@dataclass(frozen=True)
class HelpLine:
    """A help line as the patient reaches it: a number to call, one to text, a chat page."""

    name: str
    call: str = ""
    text: str = ""
    text_word: str = ""  # what to send to `text`, e.g. START
    chat: str = ""  # https:// address

    def describe(self) -> str:
        """ "988 Suicide & Crisis Lifeline (call or text 988)" """
        ways = []
        if self.call and self.call == self.text and not self.text_word:
            ways.append(f"call or text {self.call}")
        else:
            if self.call:
                ways.append(f"call {self.call}")
            if self.text:
                ways.append(f"text {self.text_word} to {self.text}" if self.text_word else f"text {self.text}")
        if self.chat:
            ways.append(f"chat at {self.chat}")
        how = ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1]
        return f"{self.name} ({how})"

    def links(self) -> List[Dict[str, str]]:
        """The live links a page may show: tel:, sms: and https: only."""
        out = []
        if self.call:
            out.append({"kind": "call", "label": f"Call {self.call}", "href": "tel:" + _digits(self.call)})
        if self.text:
            body = f"?body={self.text_word}" if self.text_word else ""
            label = f"Text {self.text_word} to {self.text}" if self.text_word else f"Text {self.text}"
            out.append({"kind": "text", "label": label, "href": f"sms:{_digits(self.text)}{body}"})
        if self.chat:
            out.append({"kind": "chat", "label": "Chat online", "href": self.chat})
        return out


@dataclass(frozen=True)
class CrisisResources:
    """One country's emergency number and help lines."""

    country: str
    emergency_number: str
    lines: Mapping[str, HelpLine]

    def line(self, kind: str) -> HelpLine:
        """The line of this kind. Where the country has no national line of that kind: the
        crisis line, which takes every call and knows the local services."""
        if kind in self.lines:
            return self.lines[kind]
        # Poisoning without a national poison line: the emergency number is the help.
        return self.emergency_line() if kind == "poison" else self.lines["suicide"]

    def emergency_line(self) -> HelpLine:
        return HelpLine(name="Emergency services", call=self.emergency_number)


def _digits(number: str) -> str:
    return re.sub(r"[^0-9+]", "", number)


def parse_crisis_entry(country: str, entry: Any) -> CrisisResources:
    """One country's `crisis` entry, checked: every number diallable, every link https."""
    where = f"clinic.yml crisis {country}"
    if not isinstance(entry, Mapping):
        raise ClinicConfigError(f"{where} must map emergency_number and the help lines")
    unknown = set(entry) - {"emergency_number", *LINE_KINDS}
    if unknown:
        raise ClinicConfigError(f"{where}: unknown {', '.join(sorted(map(str, unknown)))}; use {', '.join(LINE_KINDS)}")
    emergency = str(entry.get("emergency_number") or "")
    if not _DIALLABLE.match(emergency) and not emergency.isdigit():
        raise ClinicConfigError(f"{where} needs `emergency_number`, a number such as 911")
    if not entry.get("suicide"):
        raise ClinicConfigError(f"{where} needs a `suicide` line (the suicide and crisis line)")
    lines = {}
    for kind in LINE_KINDS:
        raw = entry.get(kind)
        if raw is None:
            continue
        if not isinstance(raw, Mapping) or not raw.get("name"):
            raise ClinicConfigError(f"{where} {kind} needs a `name`")
        line = HelpLine(**{k: str(raw.get(k) or "") for k in ("name", "call", "text", "text_word", "chat")})
        extra = set(raw) - {"name", "call", "text", "text_word", "chat"}
        if extra:
            raise ClinicConfigError(f"{where} {kind}: unknown {', '.join(sorted(map(str, extra)))}")
        if not (line.call or line.text or line.chat):
            raise ClinicConfigError(f"{where} {kind} needs `call`, `text` or `chat`")
        for number in (line.call, line.text):
            if number and not (_DIALLABLE.match(number) or number.isdigit()):
                raise ClinicConfigError(f"{where} {kind}: {number!r} is not a number a phone can dial")
        if line.text_word and not line.text:
            raise ClinicConfigError(f"{where} {kind}: `text_word` needs a `text` number")
        if line.chat and not line.chat.startswith("https://"):
            raise ClinicConfigError(f"{where} {kind}: `chat` must be an https:// address")
        lines[kind] = line
    return CrisisResources(country=country, emergency_number=emergency, lines=lines)


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
    if not isinstance(crisis, Mapping):
        raise ClinicConfigError("clinic.yml crisis must map country codes (US, GB, ...) to their help lines")
    # Every country is checked, not only the one in use, so switching `country` cannot reveal
    # a broken entry in front of a patient.
    resources = {str(code).upper(): parse_crisis_entry(str(code).upper(), entry) for code, entry in crisis.items()}
    if country not in resources:
        raise ClinicConfigError(f"clinic.yml has no crisis entry for country {country!r}")
    country_name = COUNTRY_NAMES.get(country, country)
    outside_note = str(data.get("outside_note") or "Outside {country}, call your local emergency number.")
    next_steps = data.get("next_steps", True)
    if not isinstance(next_steps, bool):
        raise ClinicConfigError("clinic.yml next_steps must be true or false")
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
        crisis=resources[country],
        outside_note=outside_note.replace("{country}", country_name),
        next_steps=next_steps,
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
        **{f"{kind}_line": clinic.crisis.line(kind).describe() for kind in LINE_KINDS},
        "emergency_number": clinic.emergency_number,
        "crisis_outside_note": clinic.outside_note,
        "emergency_short": (
            f"In an emergency, call {clinic.emergency_number}. In a mental health crisis, contact "
            f"{clinic.crisis_line} at any hour."
        ),
    }
