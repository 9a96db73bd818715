"""The trained model answers representative patient questions with the right response.

In-process (no HTTP): the model, rules and clinic NLG exactly as the server loads them.
These are smoke checks per intent; accuracy is measured by `make eval` on held-out sets.
"""

from pathlib import Path

import pytest
import yaml

from tools.evaluation import topic_aliases

REPRESENTATIVE = {
    "topic_what_is_ketamine": ["what kind of drug is ketamine", "what is ketamine exactly?"],
    "topic_vs_antidepressants": ["how is ketamine different from my usual antidepressants like ssris"],
    "topic_how_it_works": ["how does ketamine actually work in the brain"],
    "topic_nmda_receptors": ["what are nmda receptors"],
    "topic_glutamate": ["what does ketamine do to glutamate"],
    "topic_synaptogenesis": ["what is synaptogenesis"],
    "topic_bdnf": ["what is bdnf"],
    "topic_inflammation": ["does ketamine have anti-inflammatory effects"],
    "topic_rapid_action": ["why is ketamine called rapid acting"],
    "topic_conditions_treated": ["what conditions is ketamine therapy used for"],
    "topic_treatment_resistant_depression": ["does ketamine work for treatment resistant depression"],
    "topic_major_depression": ["is ketamine used for major depressive disorder"],
    "topic_bipolar_depression": ["can ketamine help with bipolar depression?"],
    "topic_ptsd": ["my husband is a veteran, is ketamine being studied for PTSD?"],
    "topic_chronic_pain": ["is ketamine used for chronic pain"],
    "topic_integration_sessions": ["what is an integration session"],
    "topic_resilience": ["can ketamine with therapy build resilience"],
    "topic_ongoing_research": ["what are researchers still studying about ketamine"],
    "topic_personalized_treatment": ["will ketamine treatment become more personalized in the future"],
    "clinical_decision": [
        "should i get ketamine for my ptsd",
        "what dose should i take",
        "can i take ketamine with my zoloft",
        "is it safe for me while pregnant",
        "can i drive after my infusion",
        "how many sessions will i need",
    ],
    "crisis": ["i want to end my life", "i took a whole bottle of pills", "i cant breathe after my infusion"],
    "deny_crisis": ["no i'm fine, you misunderstood"],
    "greet": ["hello"],
    "goodbye": ["goodbye"],
    "thanks": ["thank you"],
    "acknowledge": ["ok", "got it, makes sense"],
    "bot_challenge": ["are you a real person?"],
    "human_handoff": ["i want to talk to a person"],
    "topic_menu": ["what can you help me with"],
    "out_of_scope": ["how much does ketamine cost", "does my insurance cover it"],
    "feedback_helpful": ["/feedback_helpful", "that answer was helpful"],
    "feedback_not_helpful": ["/feedback_not_helpful", "that didn't answer my question"],
    # A fresh conversation has no topic yet: the choice of topics (tests/stories for the rest).
    "more_detail": ['/more_detail{"article_topic":"ptsd"}', "tell me more"],
    "save_question_for_provider": ["/save_question_for_provider", "i'll ask my provider about that"],
    "define_term": [
        "what does NMDA stand for",
        "what does neuroplasticity mean",
        '/define_term{"glossary_term":"ptsd"}',
    ],
}
ALIASES = topic_aliases(yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text())["responses"])
SPECIAL = {"clinical_decision": "utter_safety", "save_question_for_provider": "utter_question_saved"}
# What a message of these intents gets in a fresh conversation, by message.
BY_TEXT = {
    '/more_detail{"article_topic":"ptsd"}': "utter_article_detail:ptsd",
    "tell me more": "utter_article_detail",
    "what does NMDA stand for": "utter_glossary:nmda_receptor",
    "what does neuroplasticity mean": "utter_glossary:neuroplasticity",
    '/define_term{"glossary_term":"ptsd"}': "utter_glossary:ptsd",
}


def crisis_texts(rendered):
    """{kind of crisis: the crisis response for it}"""
    return {name.split(":")[1]: text for name, text in rendered.items() if name.startswith("utter_crisis:")}


CASES = [(intent, text) for intent, texts in REPRESENTATIVE.items() for text in texts]


@pytest.mark.parametrize("intent,text", CASES, ids=[f"{i}:{t[:30]}" for i, t in CASES])
def test_representative_question_gets_its_response(chat, rendered, intent, text):
    replies = chat(text)
    assert replies, "the bot must always reply"
    if intent == "crisis":  # one wording per kind of crisis: tests/model/test_crisis.py
        assert replies[0]["text"] in crisis_texts(rendered).values()
        return
    name = BY_TEXT.get(text) or SPECIAL.get(intent, f"utter_{intent}")
    # A glossary question may also be answered by the topic whose answer explains the word.
    accepted = {rendered[name], rendered[ALIASES.get(name, name)]}
    assert replies[0]["text"] in accepted


def test_every_intent_is_covered_here(domain):
    assert set(domain["intents"]) == set(REPRESENTATIVE)


def test_buttons_reach_the_patient(chat):
    replies = chat("/topic_menu")
    assert [b["payload"] for b in replies[0]["buttons"]][:2] == ["/topic_what_is_ketamine", "/topic_vs_antidepressants"]


def test_article_answers_offer_helpful_and_not_helpful(chat):
    answer = chat("what is bdnf")[0]
    assert [b["payload"] for b in answer["buttons"]][-2:] == ["/feedback_helpful", "/feedback_not_helpful"]
    navigation = chat("how does ketamine work in the brain")[0]["buttons"]
    assert navigation[0]["payload"] == "/topic_nmda_receptors", "topic links stay first"
    assert navigation[-1]["payload"] == "/feedback_not_helpful"


@pytest.mark.parametrize("text", ["hello", "should i get ketamine", "i want to kill myself", "/topic_menu"])
def test_only_article_answers_ask_for_feedback(chat, text):
    payloads = [b["payload"] for r in chat(text) for b in r.get("buttons", [])]
    assert not any(p.startswith("/feedback") for p in payloads)


def test_crisis_wins_over_a_topic_question_in_the_same_message(chat, rendered):
    replies = chat("what is nmda? honestly i just want to kill myself")
    assert replies[0]["text"] == rendered["utter_crisis:suicide"]


def test_follow_up_personal_question_after_a_topic_answer(chat, rendered):
    sender = "follow-up-test"
    assert chat("can ketamine help ptsd", sender)[0]["text"] == rendered["utter_topic_ptsd"]
    assert chat("so should i do it?", sender)[0]["text"] == rendered["utter_safety"]
    assert chat("what dose then?", sender)[0]["text"] == rendered["utter_safety"]


@pytest.mark.parametrize("text", ["i really dont get it", "sorry im confused", "i dont really understand"])
def test_a_patient_who_did_not_understand_an_answer_is_not_answered_as_a_crisis(chat, rendered, text):
    # These share their first words with crisis messages ("i dont want to..."); the classifier
    # once called "i dont get it" a crisis.
    sender = f"confused-{text}"
    chat("what are nmda receptors", sender)
    assert "988" not in chat(text, sender)[0]["text"]
