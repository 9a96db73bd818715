"""The guard as a Rasa NLU component, on its own (no trained model)."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.safety.component import GUARD_KEY, SafetyGuardComponent


@pytest.fixture(scope="module")
def component(root, tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    return SafetyGuardComponent.create(
        {**SafetyGuardComponent.get_default_config(), "patterns": str(root / "content" / "safety_patterns.yml")},
        storage,
        Resource("safety_guard"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def message(text, intent="topic_ptsd", confidence=0.93):
    return Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
        }
    )


@pytest.mark.parametrize(
    "text,intent,rule",
    [
        ("i want to end my life", "crisis", "crisis_suicide_direct"),
        ("should i get ketamine for my ptsd", "clinical_decision", "clinical_can_i"),
        ("can i take ketamine with lexapro", "clinical_decision", "clinical_can_i"),
    ],
)
def test_match_overrides_the_classifier_and_records_why(component, text, intent, rule):
    (m,) = component.process([message(text)])
    assert m.get("intent") == {"name": intent, "confidence": 1.0}
    record = m.get(GUARD_KEY)
    assert record["rule"] == rule and record["intent"] == intent
    assert record["classifier_intent"] == "topic_ptsd"
    assert record["matched"]
    assert m.get("intent_ranking")[0]["name"] == "topic_ptsd", "the classifier's ranking is kept for audit"


def test_general_question_is_left_to_the_classifier(component):
    (m,) = component.process([message("can ketamine help ptsd")])
    assert m.get("intent") == {"name": "topic_ptsd", "confidence": 0.93}
    assert m.get(GUARD_KEY) is None


def test_guard_catches_what_the_fallback_was_unsure_of(component):
    (m,) = component.process([message("kil myslef", intent="nlu_fallback", confidence=0.5)])
    assert m.get("intent")["name"] == "crisis"


def test_the_record_is_part_of_the_parse_output(component):
    (m,) = component.process([message("i took too many pills")])
    assert GUARD_KEY in m.as_dict(only_output_properties=True)


def test_message_without_text_is_untouched(component):
    m = Message(data={"intent": {"name": "greet", "confidence": 1.0}})
    component.process([m])
    assert m.get("intent")["name"] == "greet"


def test_a_clinical_rule_never_downgrades_the_classifiers_crisis(component):
    (m,) = component.process([message("can i take ketamine with lexapro", intent="crisis", confidence=0.4)])
    assert m.get("intent")["name"] == "crisis"
    assert m.get(GUARD_KEY)["intent"] == "clinical_decision", "what the rule saw is still recorded for audit"


def kinds_of_crisis(message):
    return [e["value"] for e in message.get("entities") or [] if e["entity"] == "crisis_category"]


def test_the_rules_kind_of_crisis_replaces_the_classifiers(component):
    guessed = {"entity": "crisis_category", "value": "harm_to_others", "start": 0, "end": 11}
    m = message("i was raped", intent="crisis", confidence=0.6)
    m.set("entities", [guessed])
    component.process([m])
    assert kinds_of_crisis(m) == ["sexual_assault"]
    assert m.get(GUARD_KEY)["category"] == "sexual_assault"


def test_a_clinical_rule_leaves_no_kind_of_crisis(component):
    m = message("what dose should i take", intent="topic_bdnf")
    component.process([m])
    assert m.get("intent")["name"] == "clinical_decision"
    assert kinds_of_crisis(m) == []
