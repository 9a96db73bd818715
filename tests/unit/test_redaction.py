"""Redaction of personal data (pure): every corpus message, and ordinary questions untouched."""

import re
from pathlib import Path

import pytest
import yaml

from bot.storage.redaction import KINDS, placeholder, redact, redact_event
from tools.privacy_check import leaks

CORPUS = yaml.safe_load((Path(__file__).parents[1] / "data" / "pii_corpus.yml").read_text(encoding="utf-8"))
MESSAGES = CORPUS["messages"]


def digits_only(s):
    return re.sub(r"\D", "", s)


def test_the_corpus_is_large_and_varied():
    assert len(MESSAGES) >= 60
    kinds = {k for m in MESSAGES for k in m["kinds"]}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("message", MESSAGES, ids=[m["text"][:40] for m in MESSAGES])
def test_personal_data_is_replaced_by_typed_placeholders(message):
    redacted, counts = redact(message["text"])
    for pii in message["pii"]:
        assert pii.lower() not in redacted.lower()
    if message["kinds"] == ["PHONE"] or "PHONE" in message["kinds"]:
        # Not even the digits survive in another layout.
        for pii in message["pii"]:
            if len(digits_only(pii)) >= 7:
                assert digits_only(pii) not in digits_only(redacted)
    assert sorted(counts.elements()) == sorted(message["kinds"])
    for kind in message["kinds"]:
        assert placeholder(kind) in redacted


@pytest.mark.parametrize("text", CORPUS["keep"])
def test_ordinary_questions_are_left_exactly_as_typed(text):
    assert redact(text) == (text, {})


def test_the_rest_of_the_question_is_kept():
    assert (
        redact("my name is Jane Doe and I want to know about BDNF")[0]
        == "my name is [NAME] and I want to know about BDNF"
    )
    assert redact("call me back on +44 20 7946 0958 about ketamine")[0] == "call me back on [PHONE] about ketamine"


def user_event(text):
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "input_channel": "rest",
        "message_id": "ab12",
        "metadata": {"page": "https://clinic.example.com/jane?email=jane@example.com"},
        "parse_data": {
            "text": text,
            "intent": {"name": "out_of_scope", "confidence": 0.9},
            "entities": [{"entity": "phone", "value": "+44 20 7946 0958", "start": 3, "end": 19}],
            "intent_ranking": [{"name": "out_of_scope", "confidence": 0.9}],
            "safety_guard": {
                "rule": "crisis_kill_myself",
                "intent": "crisis",
                "matched": "kill myself jane@example.com",
                "classifier_intent": "greet",
            },
        },
    }


def test_a_user_event_is_redacted_everywhere_the_text_is_repeated():
    event = user_event("i want to kill myself, mail jane@example.com or +44 20 7946 0958")
    out, counts = redact_event(event)
    flat = repr(out)
    assert "jane@example.com" not in flat and "7946" not in flat and "clinic.example.com" not in flat
    assert out["text"] == out["parse_data"]["text"] == "i want to kill myself, mail [EMAIL] or [PHONE]"
    assert out["parse_data"]["entities"][0]["value"] == "[PHONE]"
    assert out["parse_data"]["safety_guard"]["matched"] == "kill myself [EMAIL]"
    # Rasa's own identifiers are kept, so the conversation replays.
    assert out["parse_data"]["intent"] == event["parse_data"]["intent"]
    assert out["parse_data"]["safety_guard"]["rule"] == "crisis_kill_myself"
    assert out["message_id"] == "ab12" and out["input_channel"] == "rest"
    assert counts["EMAIL"] == 4 and counts["PHONE"] == 3 and counts["URL"] == 1
    assert event["text"].endswith("0958"), "the input event is not modified"


def test_the_bot_s_own_messages_are_not_touched():
    event = {"event": "bot", "text": "Call the clinic on +1 555 010 9999", "metadata": {"utter_action": "utter_x"}}
    assert redact_event(event) == (event, {})


def test_slot_values_are_redacted():
    out, counts = redact_event({"event": "slot", "name": "email", "value": "jane@example.com"})
    assert out == {"event": "slot", "name": "email", "value": "[EMAIL]"} and counts == {"EMAIL": 1}


@pytest.mark.parametrize(
    "stored,found",
    [
        (b'{"text": "i was born in 1972"}', ["1972"]),
        (b'{"text": "born 1972-03-04"}', ["1972"]),
        (b'{"text": "call 202 555 0199"}', ["202 555 0199"]),
        (b'{"text": "call 2025550199"}', ["2025550199"]),
        (b'{"text": "call [PHONE]", "timestamp": 1764281234.1972}', []),
        (b'{"message_id": "9f1972ab0c", "confidence": 1.1972e-05}', []),
    ],
)
def test_the_leak_check_finds_whole_numbers_not_digits_of_ids_or_floats(stored, found):
    corpus = [{"text": "x", "pii": ["1972"]}, {"text": "y", "pii": ["202 555 0199"]}]
    assert sorted(leaks(stored, corpus)) == sorted(found)
