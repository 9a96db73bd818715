"""Whether the clinic is open right now, from `opening_hours` in clinic.yml.

An optional extra after the static "how to reach the clinic" answer: if the action server is
down the patient still gets the clinic's phone number and hours, just not this line.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Optional

from bot.clinic import DAY_NAMES, DAYS, OpeningHours


def _fmt(t: time) -> str:
    return t.strftime("%H:%M")


def open_status(hours: OpeningHours, now: datetime) -> str:
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
