"""The fixed safety and crisis responses and the conversation responses, as data."""

import re

import pytest

TOPICS_NOT_ARTICLE = {"topic_menu"}


def topic_intents(domain):
    return [i for i in domain["intents"] if i.startswith("topic_") and i not in TOPICS_NOT_ARTICLE]


def test_safety_response_has_exactly_one_wording(domain):
    variations = domain["responses"]["utter_safety"]
    assert len(variations) == 1, "must always be the same words"
    assert set(variations[0]) == {"text", "buttons"}, "no conditions or channel variants"
    # Its one button lets the widget keep the question for the provider (in the browser only).
    assert variations[0]["buttons"] == [
        {"title": "Add this question to my list for my provider", "payload": "/save_question_for_provider"}
    ]


def test_safety_response_routes_to_a_provider_and_the_clinic(rendered, clinic_variables):
    text = rendered["utter_safety"]
    assert "can't give advice" in text
    assert "qualified healthcare provider" in text
    assert clinic_variables["clinic_phone"] in text
    assert clinic_variables["clinic_website"] in text
    assert "{" not in text


@pytest.fixture(scope="module")
def kinds(root):
    import yaml

    from bot.safety.patterns import parse_categories

    return parse_categories(yaml.safe_load((root / "content" / "safety_patterns.yml").read_text()))


@pytest.mark.parametrize("name", ["utter_crisis", "utter_crisis_reminder"])
def test_crisis_responses_have_one_wording_per_kind_of_crisis(domain, kinds, name):
    variations = domain["responses"][name]
    conditions = [v["condition"] for v in variations if "condition" in v]
    assert sorted(c[0]["value"] for c in conditions) == sorted(k.id for k in kinds)
    assert all(len(c) == 1 and c[0]["type"] == "slot" and c[0]["name"] == "crisis_category" for c in conditions)
    assert len(variations) == len(kinds) + 1, "one per kind, and one for a crisis of no known kind"
    assert all(set(v) <= {"text", "condition"} for v in variations), "no buttons or channel variants"
    assert set(domain["slots"]["crisis_category"]["values"]) == {k.id for k in kinds}


def help_numbers(clinic):
    """The number each kind of help is reached at, in this clinic's country."""
    from bot.clinic import LINE_KINDS

    numbers = {"emergency": clinic.emergency_number}
    for kind in LINE_KINDS:
        line = clinic.crisis.line(kind)
        numbers[kind] = line.call or line.text
    return numbers


@pytest.mark.parametrize("country", ["US", "GB", "AU", "CA"])
@pytest.mark.parametrize("name", ["utter_crisis", "utter_crisis_reminder"])
def test_each_kind_of_crisis_names_its_help_first_in_every_country(root, domain, kinds, country, name):
    import yaml

    from bot.clinic import parse_clinic, response_variables
    from tools.evaluation import render_responses

    clinic = parse_clinic({**yaml.safe_load((root / "clinic.yml").read_text()), "country": country})
    rendered = render_responses({name: domain["responses"][name]}, response_variables(clinic))
    numbers = help_numbers(clinic)
    for kind in kinds:
        text = rendered[f"{name}:{kind.id}"]
        assert "{" not in text
        positions = [text.find(numbers[help_kind]) for help_kind in kind.help]
        assert all(p >= 0 for p in positions), (country, kind.id, text)
        # Where the country has no line of a kind, the fallback may be the same number twice.
        assert positions == sorted(positions), (country, kind.id, text)


def test_crisis_response_of_no_known_kind_gives_988_911_and_local_number(rendered):
    text = rendered["utter_crisis"]
    assert "call or text 988" in text
    assert "911" in text
    assert "local emergency number" in text
    assert "{" not in text


def test_greeting_carries_the_disclaimer_and_the_source(rendered):
    text = rendered["utter_greet"]
    assert "not medical advice" in text
    assert "Unveiling the Science Behind Ketamine Therapy" in text
    assert "911" in text and "988" in text


def test_bot_challenge_is_honest(rendered):
    assert "automated assistant, not a person and not a clinician" in rendered["utter_bot_challenge"]


def test_decline_offers_topics_as_buttons(domain, rendered):
    assert "can't answer that" in rendered["utter_out_of_scope"]
    buttons = domain["responses"]["utter_out_of_scope"][0]["buttons"]
    assert len(buttons) >= 3
    intents = set(domain["intents"])
    for b in buttons:
        assert b["payload"].lstrip("/") in intents


def test_every_button_payload_is_a_known_intent(domain):
    intents = set(domain["intents"])
    for name, variations in domain["responses"].items():
        for v in variations:
            for b in v.get("buttons", []):
                assert re.fullmatch(r"/\w+", b["payload"]), (name, b)
                assert b["payload"][1:] in intents, (name, b)


def test_every_topic_has_its_own_answer_naming_its_section(domain):
    for intent in topic_intents(domain):
        (variation,) = domain["responses"][f"utter_{intent}"]
        sections = variation["metadata"]["sections"]
        assert sections
        for s in sections:
            assert f'"{s}"' in variation["text"], f"{intent} must name section {s!r} in its text"


def test_every_intent_has_a_rule_and_a_response(root, domain):
    import yaml

    ruled = {}
    for path in (root / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            steps = rule["steps"]
            if "action" in steps[0]:  # a follow-up rule: after this answer, this intent gets...
                assert steps[-1]["action"] in domain["responses"], rule["rule"]
                continue
            ruled[steps[0]["intent"]] = steps[1]["action"]
    for intent in domain["intents"]:
        action = ruled.get(intent)
        assert action, f"no rule for {intent}"
        assert action in domain["responses"], f"rule for {intent} must answer with a static response"
    assert ruled["clinical_decision"] == "utter_safety"
    assert ruled["crisis"] == "utter_crisis"
    assert ruled["nlu_fallback"] == "utter_out_of_scope"
