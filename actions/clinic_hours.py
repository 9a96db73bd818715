"""Whether the clinic is open right now, from `opening_hours` in clinic.yml.

An optional extra after the static "how to reach the clinic" answer: if the action server is
down the patient still gets the clinic's phone number and hours, just not this line.
"""
from __future__ import annotations

from datetime import datetime, time
from typing import Dict, Mapping, Optional, Tuple

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))


def parse_opening_hours(raw: Mapping[str, str]) -> Dict[str, Tuple[time, time]]:
    """{"mon": "09:00-17:00"} -> {"mon": (09:00, 17:00)}; raises ValueError on a bad entry."""
    hours = {}
    for day, span in (raw or {}).items():
        day = str(day).lower()[:3]
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r} in opening_hours")
        start, _, end = str(span).partition("-")
        opens, closes = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if closes <= opens:
            raise ValueError(f"opening_hours {day}: closing time must be after opening time")
        hours[day] = (opens, closes)
    return hours


def _fmt(t: time) -> str:
    return t.strftime("%H:%M")


def open_status(hours: Dict[str, Tuple[time, time]], now: datetime) -> str:
    """One sentence saying whether the clinic is open at `now` (a local time), and if not, when it opens."""
    today = DAYS[now.weekday()]
    if today in hours:
        opens, closes = hours[today]
        if opens <= now.time() < closes:
            return f"The clinic is open now, until {_fmt(closes)}."
    next_opening: Optional[str] = None
    for offset in range(0, 8):
        day = DAYS[(now.weekday() + offset) % 7]
        if day in hours and (offset > 0 or now.time() < hours[day][0]):
            when = "today" if offset == 0 else ("tomorrow" if offset == 1 else DAY_NAMES[day])
            next_opening = f"{when} at {_fmt(hours[day][0])}"
            break
    if next_opening is None:
        return "The clinic is closed now."
    return f"The clinic is closed now; it opens again {next_opening}."
