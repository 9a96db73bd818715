"""Custom actions (rasa-sdk). Only extras live here; nothing on the safety path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_hours import open_status
from bot.clinic import ClinicConfigError, load_clinic

CLINIC_FILE = Path("clinic.yml")


class ActionClinicOpenNow(Action):
    def name(self) -> str:
        return "action_clinic_open_now"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        try:
            clinic = load_clinic(CLINIC_FILE)
        except ClinicConfigError:
            # The static answer already gave the hours; a broken extra must not add noise.
            return []
        now = datetime.now(ZoneInfo(clinic.timezone)).replace(tzinfo=None)
        dispatcher.utter_message(text=open_status(clinic.opening_hours, now))
        return []
