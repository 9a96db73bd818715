"""The clinic NLG: clinic details in every answer, the buttons and next-steps line of article
answers, and the crisis reminder once a crisis was answered (the slot `crisis_category`)."""

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


def generate_response(nlg, action, kind=None, topic=None, glossary_term=None):
    generator, domain = nlg
    events = [SlotSet("crisis_category", kind)] if kind else []
    events += [SlotSet("article_topic", topic)] if topic else []
    events += [SlotSet("glossary_term", glossary_term)] if glossary_term else []
    tracker = DialogueStateTracker.from_events("patient", events, domain.slots)
    return asyncio.run(generator.generate(action, tracker, "rest"))


def generate(nlg, action, kind=None):
    return generate_response(nlg, action, kind)["text"]


def test_answers_carry_the_reminder_of_the_kind_of_crisis(nlg, rendered):
    assert generate(nlg, "utter_topic_bdnf") == rendered["utter_topic_bdnf"]
    answer = generate(nlg, "utter_topic_bdnf", kind="abuse")
    assert answer == rendered["utter_topic_bdnf"] + "\n" + rendered["utter_crisis_reminder:abuse"]


def test_the_crisis_response_itself_has_no_reminder(nlg, rendered):
    assert generate(nlg, "utter_crisis", kind="overdose") == rendered["utter_crisis:overdose"]


def titles(response):
    return [b["title"] for b in response.get("buttons", [])]


def test_a_plain_answer_offers_the_articles_wording_then_feedback(nlg, rendered):
    plain = generate_response(nlg, "utter_topic_bdnf")
    assert titles(plain) == ["More detail from the article", "Helpful", "Not helpful"]
    assert plain["buttons"][0]["payload"] == '/more_detail{"article_topic":"bdnf"}'
    detail = generate_response(nlg, "utter_article_detail", topic="bdnf")
    assert detail["text"] == rendered["utter_article_detail:bdnf"]
    assert titles(detail) == ["What is neuroplasticity?", "Helpful", "Not helpful"]
    # Subtopic buttons come first, the article's wording and feedback last.
    assert titles(generate_response(nlg, "utter_topic_how_it_works"))[-4:] == [
        "Inflammation",
        "More detail from the article",
        "Helpful",
        "Not helpful",
    ]


def test_article_answers_end_with_the_next_steps_and_other_responses_do_not(nlg, rendered, clinic_variables):
    next_steps = rendered["utter_next_steps"]
    assert clinic_variables["clinic_booking_url"] in next_steps
    assert generate(nlg, "utter_topic_bdnf").endswith("\n" + next_steps)
    assert generate_response(nlg, "utter_article_detail", topic="ptsd")["text"].endswith("\n" + next_steps)
    assert generate(nlg, "utter_safety") == rendered["utter_safety"]
    assert next_steps not in generate(nlg, "utter_greet")
    with_reminder = generate(nlg, "utter_topic_bdnf", kind="suicide")
    assert with_reminder.endswith(next_steps + "\n" + rendered["utter_crisis_reminder:suicide"]), "the reminder last"


def test_a_clinic_can_switch_the_next_steps_off(root, tmp_path):
    import yaml

    clinic = yaml.safe_load((root / "clinic.yml").read_text())
    (tmp_path / "clinic.yml").write_text(yaml.safe_dump({**clinic, "next_steps": False}))
    domain = Domain.load(str(root / "domain.yml"))
    config = EndpointConfig(type="bot.nlg.ClinicResponseGenerator", clinic_file=str(tmp_path / "clinic.yml"))
    answer = generate((ClinicResponseGenerator(config, domain), domain), "utter_topic_bdnf")
    assert "Questions about whether this is right for you?" not in answer
    assert answer.endswith('(From the article: "Ketamine as a Rapid-Acting Antidepressant".)')


def test_an_answer_offers_its_glossary_words_as_questions(nlg, rendered):
    detail = generate_response(nlg, "utter_article_detail", topic="glutamate")
    assert detail["buttons"][:2] == [
        {"title": "What is a neurotransmitter?", "payload": '/define_term{"glossary_term":"neurotransmitter"}'},
        {"title": "What is synaptic plasticity?", "payload": '/define_term{"glossary_term":"synaptic_plasticity"}'},
    ]
    plain = generate_response(nlg, "utter_topic_what_is_ketamine")
    assert titles(plain) == [
        "What is a dissociative anesthetic?",
        "More detail from the article",
        "Helpful",
        "Not helpful",
    ]
    entry = generate_response(nlg, "utter_glossary", glossary_term="dissociative_anesthetic")
    assert entry["text"] == rendered["utter_glossary:dissociative_anesthetic"]
    assert titles(entry) == ["Helpful", "Not helpful"]


def asked_about(nlg, text, entities, answered=()):
    from rasa.shared.core.events import BotUttered, UserUttered

    generator, domain = nlg
    events = [UserUttered(text, {"name": "topic_conditions_treated", "confidence": 1.0}, entities)]
    events += [BotUttered(t) for t in answered]
    tracker = DialogueStateTracker.from_events("patient", events, domain.slots)
    return tracker, generator


def test_an_answer_about_a_condition_the_article_does_not_name_says_so_first(nlg, rendered):
    ocd = [{"entity": "unnamed_condition", "value": "OCD", "start": 22, "end": 25}]
    tracker, generator = asked_about(nlg, "does ketamine help ocd", ocd)
    answer = asyncio.run(generator.generate("utter_topic_conditions_treated", tracker, "rest"))["text"]
    first, rest = answer.split("\n", 1)
    assert first == "The article doesn't mention OCD. Here is what it says that comes closest:"
    assert rest == rendered["utter_topic_conditions_treated"]
    # Only the first answer to the message says it; the safety response never does.
    tracker, generator = asked_about(nlg, "does ketamine help ocd", ocd, answered=["first answer"])
    assert (
        asyncio.run(generator.generate("utter_topic_chronic_pain", tracker, "rest"))["text"]
        == rendered["utter_topic_chronic_pain"]
    )
    tracker, generator = asked_about(nlg, "does ketamine help ocd", ocd)
    assert asyncio.run(generator.generate("utter_safety", tracker, "rest"))["text"] == rendered["utter_safety"]


def test_a_decline_with_close_topics_offers_them_as_buttons_best_first(nlg, rendered):
    close = [{"entity": "close_topics", "value": "topic_rapid_action topic_major_depression", "start": 0, "end": 5}]
    tracker, generator = asked_about(nlg, "Does it work instantly?", close)
    offer = asyncio.run(generator.generate("utter_out_of_scope", tracker, "rest"))
    assert offer["text"] == rendered["utter_close_topics"]
    assert [b["payload"] for b in offer["buttons"]] == ["/topic_rapid_action", "/topic_major_depression"]
    # Without close topics, or naming none the response has a button for: the plain decline.
    for entities in ([], [{"entity": "close_topics", "value": "topic_menu", "start": 0, "end": 5}]):
        tracker, generator = asked_about(nlg, "how much does it cost", entities)
        assert (
            asyncio.run(generator.generate("utter_out_of_scope", tracker, "rest"))["text"]
            == rendered["utter_out_of_scope"]
        )
    # Only the decline becomes the offer.
    tracker, generator = asked_about(nlg, "Does it work instantly?", close)
    assert asyncio.run(generator.generate("utter_safety", tracker, "rest"))["text"] == rendered["utter_safety"]
