"""Custom actions (rasa-sdk). Only extras live here; nothing on the safety path."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_hours import open_status, parse_opening_hours

CLINIC_FILE = Path("clinic.yml")


class ActionClinicOpenNow(Action):
    def name(self) -> str:
        return "action_clinic_open_now"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        try:
            clinic = yaml.safe_load(CLINIC_FILE.read_text(encoding="utf-8")) or {}
            hours = parse_opening_hours(clinic.get("opening_hours") or {})
            now = datetime.now(ZoneInfo(clinic.get("timezone") or "UTC")).replace(tzinfo=None)
        except (OSError, ValueError, yaml.YAMLError, KeyError):
            # The static answer already gave the hours; a broken extra must not add noise.
            return []
        if hours:
            dispatcher.utter_message(text=open_status(hours, now))
        return []
