"""The clinic NLG: clinic details in every answer, and the crisis reminder once a crisis was
answered (the slot `crisis_category`)."""

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.nlg import ClinicResponseGenerator, with_last_line


def test_the_reminder_is_the_last_line_of_the_same_reply():
    response = {"text": "BDNF is a protein.", "buttons": [{"title": "Helpful", "payload": "/feedback_helpful"}]}
    out = with_last_line(response, "Call 988.")
    # One newline: a blank line would make Rasa's channels send the reminder as a message of
    # its own, apart from the answer's buttons.
    assert out == {**response, "text": "BDNF is a protein.\nCall 988."}
    assert with_last_line(response, None) is response


@pytest.fixture(scope="module")
def nlg(root):
    domain = Domain.load(str(root / "domain.yml"))
    config = EndpointConfig(type="bot.nlg.ClinicResponseGenerator", clinic_file=str(root / "clinic.yml"))
    return ClinicResponseGenerator(config, domain), domain


def generate(nlg, action, kind=None):
    generator, domain = nlg
    tracker = DialogueStateTracker.from_events(
        "patient", [SlotSet("crisis_category", kind)] if kind else [], domain.slots
    )
    return asyncio.run(generator.generate(action, tracker, "rest"))["text"]


def test_answers_carry_the_reminder_of_the_kind_of_crisis(nlg, rendered):
    assert generate(nlg, "utter_topic_bdnf") == rendered["utter_topic_bdnf"]
    answer = generate(nlg, "utter_topic_bdnf", kind="abuse")
    assert answer == rendered["utter_topic_bdnf"] + "\n" + rendered["utter_crisis_reminder:abuse"]


def test_the_crisis_response_itself_has_no_reminder(nlg, rendered):
    assert generate(nlg, "utter_crisis", kind="overdose") == rendered["utter_crisis:overdose"]
