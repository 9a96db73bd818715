"""The optional "open now" extra of the action server."""

from datetime import datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionClinicOpenNow
from actions.clinic_hours import open_status
from bot.clinic import parse_opening_hours

HOURS = parse_opening_hours({"mon": "09:00-17:00", "tue": "09:00-17:00", "fri": "10:00-14:00"})


@pytest.mark.parametrize(
    "now,expected",
    [
        (datetime(2026, 11, 23, 10, 0), "The clinic is open now, until 17:00."),  # Monday
        (datetime(2026, 11, 23, 8, 0), "The clinic is closed now; it opens again today at 09:00."),
        (datetime(2026, 11, 23, 17, 0), "The clinic is closed now; it opens again tomorrow at 09:00."),
        (datetime(2026, 11, 25, 12, 0), "The clinic is closed now; it opens again Friday at 10:00."),  # Wednesday
        (datetime(2026, 11, 28, 12, 0), "The clinic is closed now; it opens again Monday at 09:00."),  # Saturday
    ],
)
def test_open_status(now, expected):
    assert open_status(HOURS, now) == expected


def test_no_hours_at_all():
    assert open_status({}, datetime(2026, 11, 23, 10, 0)) == "The clinic is closed now."


@pytest.mark.parametrize("raw", [{"xyz": "09:00-17:00"}, {"mon": "17:00-09:00"}, {"mon": "nine to five"}])
def test_bad_opening_hours_are_rejected(raw):
    with pytest.raises(ValueError):
        parse_opening_hours(raw)


def test_action_says_open_or_closed_from_the_clinic_file(root, monkeypatch):
    monkeypatch.chdir(root)
    dispatcher = CollectingDispatcher()
    tracker = Tracker("x", {}, {}, [], False, None, {}, "action_listen")
    assert ActionClinicOpenNow().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["text"].startswith("The clinic is")


def test_action_stays_silent_when_clinic_file_is_broken(tmp_path, monkeypatch):
    (tmp_path / "clinic.yml").write_text("opening_hours: {mon: 'late-early'}\n")
    monkeypatch.chdir(tmp_path)
    dispatcher = CollectingDispatcher()
    tracker = Tracker("x", {}, {}, [], False, None, {}, "action_listen")
    assert ActionClinicOpenNow().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages == []
