"""Several questions in one message: where it is split and what is answered, safety first."""

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.dialogue.rule_policy import next_of_more_answers
from bot.nlu.questions import MAX_PARTS, Outcome, combine, is_question, split_questions


@pytest.mark.parametrize(
    "text, parts",
    [
        ("What is ketamine and can I take it with my Zoloft?", ["What is ketamine", "can I take it with my Zoloft?"]),
        ("how does it work? is it fast", ["how does it work?", "is it fast"]),
        ("I have PTSD. Does ketamine help it?", ["I have PTSD.", "Does ketamine help it?"]),
        ("what is bdnf, also how does ketamine raise it", ["what is bdnf", "how does ketamine raise it"]),
        ("what is ketamine plus how much does it cost", ["what is ketamine", "how much does it cost"]),
        ("what is glutamate\nwhat is bdnf", ["what is glutamate", "what is bdnf"]),
        ("how much is it, how many sessions do I need", ["how much is it", "how many sessions do I need"]),
    ],
)
def test_a_message_is_split_into_its_questions(text, parts):
    assert split_questions(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "Is ketamine used for depression and anxiety?",
        "what is the difference between ketamine and SSRIs",
        "hi! what is ketamine?",  # a greeting of one word stays with the question
        '/define_term{"glossary_term":"bdnf"}',
        "How does ketamine help with depression and PTSD",
        # After a statement, a comma does not open a question of its own: "that" needs it.
        "my husband is a veteran with PTSD, is ketamine being studied for that?",
        "",
    ],
)
def test_one_question_is_left_whole(text):
    assert split_questions(text) == ([text] if text else [])


def test_a_long_list_is_split_into_at_most_a_few_parts():
    text = " ".join(f"What is topic {i}?" for i in range(10))
    parts = split_questions(text)
    assert len(parts) == MAX_PARTS
    assert " ".join(parts) == text, "nothing is dropped: the rest stays in the last part"


def test_questions_are_told_from_statements():
    assert is_question("does it help?") and is_question("how fast does it work")
    assert is_question("Tell me about BDNF")
    assert is_question("Also curious how it builds new synapses") and is_question("i was wondering what bdnf is")
    assert not is_question("I have depression.") and not is_question("my doctor mentioned it")
    # Back to the question after some news told first.
    assert is_question("anyway what even is ketamine") and is_question("unrelated but what is bdnf")
    assert is_question("quick question: how does it help ptsd")
    assert not is_question("anyway my doctor mentioned it")
    # Phones drop the question mark: a question after a comma still asks.
    assert is_question("my psych says im bipolar, could ketamine flip me into mania.")
    assert not is_question("I take Lexapro, which helps a lot.") and not is_question("i tried ssris, was awful")


def topic(name, confidence=0.9, question=True):
    return Outcome(f"topic_{name}", confidence, question=question)


CLINICAL = Outcome("clinical_decision", 0.8)
OOS = Outcome("out_of_scope", 0.7)


def test_a_crisis_is_decided_on_the_whole_message_never_on_a_part_out_of_its_context():
    # The classifier called "im breastfeeding" a crisis on its own; the whole message, with
    # its crisis threshold set low, was read first and was not one.
    guessed = Outcome("crisis", 0.73, crisis_kind="medical_emergency", question=False)
    answer = combine(Outcome("clinical_decision", 1.0), [guessed, Outcome("clinical_decision", 0.97)])
    assert (answer.intent, answer.crisis_kind, answer.more) == ("clinical_decision", None, ())
    # A rule on a part would escape the `unless` the rest of the message triggers.
    ruled = Outcome("crisis", 1.0, crisis_kind="suicide", by_rule=True, question=False)
    assert combine(topic("ongoing_research"), [ruled, topic("ongoing_research")]).intent == "topic_ongoing_research"


def test_a_crisis_of_the_whole_message_is_never_changed():
    whole = Outcome("crisis", 0.3, crisis_kind="overdose")
    answer = combine(whole, [topic("bdnf"), topic("glutamate")])
    assert (answer.intent, answer.crisis_kind, answer.more) == ("crisis", "overdose", ())


def test_a_clinical_question_gets_the_safety_response_then_one_article_answer():
    answer = combine(topic("bdnf"), [topic("bdnf"), CLINICAL, topic("ptsd")])
    assert answer.intent == "clinical_decision"
    assert answer.more == ("topic_bdnf",), "at most one article answer"


def test_a_clinical_whole_message_keeps_the_safety_response_and_adds_the_general_answer():
    answer = combine(Outcome("clinical_decision", 0.9), [topic("ptsd"), OOS])
    assert (answer.intent, answer.more) == ("clinical_decision", ("topic_ptsd",))


def test_a_statement_that_sounds_personal_does_not_make_a_general_question_clinical():
    told = Outcome("clinical_decision", 0.7, question=False)
    answer = combine(topic("what_is_ketamine"), [told, topic("what_is_ketamine")])
    assert (answer.intent, answer.more) == ("topic_what_is_ketamine", ())


def test_a_weak_clinical_guess_on_a_part_does_not_override_the_whole_messages_answer():
    guessed = Outcome("clinical_decision", 0.46)
    answer = combine(topic("treatment_resistant_depression", 0.95), [topic("treatment_resistant_depression"), guessed])
    assert (answer.intent, answer.more) == ("topic_treatment_resistant_depression", ())
    # The same confidence with a safety rule behind it, or a sure classifier, does.
    for part in (Outcome("clinical_decision", 0.46, by_rule=True), Outcome("clinical_decision", 0.5)):
        answer = combine(topic("treatment_resistant_depression", 0.95), [topic("treatment_resistant_depression"), part])
        assert answer.intent == "clinical_decision"


def test_a_safety_rule_counts_in_a_statement_too():
    told = Outcome("clinical_decision", 1.0, by_rule=True, question=False)
    answer = combine(topic("bdnf"), [told, topic("bdnf")])
    assert (answer.intent, answer.more) == ("clinical_decision", ("topic_bdnf",))


def test_two_article_questions_get_both_answers_and_never_more_than_two():
    answer = combine(topic("how_it_works"), [topic("how_it_works"), topic("ptsd"), topic("bdnf")])
    assert (answer.intent, answer.more) == ("topic_how_it_works", ("topic_ptsd",))


def test_what_is_ketamine_is_the_preamble_the_other_question_is_answered_first():
    for parts in ([topic("what_is_ketamine"), topic("ptsd")], [topic("ptsd"), topic("what_is_ketamine")]):
        answer = combine(topic("what_is_ketamine"), parts)
        assert (answer.intent, answer.more) == ("topic_ptsd", ("topic_what_is_ketamine",))
    answer = combine(topic("what_is_ketamine"), [topic("what_is_ketamine"), CLINICAL, topic("bdnf")])
    assert (answer.intent, answer.more) == ("clinical_decision", ("topic_bdnf",))


def test_the_same_topic_twice_is_answered_once():
    answer = combine(topic("bdnf"), [topic("bdnf"), topic("bdnf")])
    assert (answer.intent, answer.more) == ("topic_bdnf", ())


def test_an_article_question_and_one_the_article_does_not_cover_get_the_answer_then_the_decline():
    answer = combine(Outcome("nlu_fallback", 0.4), [topic("nmda_receptors"), OOS])
    assert (answer.intent, answer.more) == ("topic_nmda_receptors", ("out_of_scope",))


def test_a_topic_the_whole_message_was_sure_of_stays_the_first_answer():
    answer = combine(topic("treatment_resistant_depression"), [Outcome("greet", 0.9), topic("major_depression")])
    assert answer.intent == "topic_treatment_resistant_depression"


def test_a_request_for_the_clinic_keeps_its_answer_and_the_topic_menu_is_not_an_article_answer():
    handoff = Outcome("human_handoff", 0.9)
    assert combine(handoff, [handoff, topic("bdnf")]).intent == "human_handoff"
    answer = combine(Outcome("nlu_fallback", 0.4), [Outcome("topic_menu", 0.9), topic("bdnf")])
    assert (answer.intent, answer.more) == ("topic_bdnf", ())


def test_unsure_parts_change_nothing():
    whole = Outcome("nlu_fallback", 0.4)
    answer = combine(whole, [Outcome("nlu_fallback", 0.4), Outcome("greet", 0.9)])
    assert (answer.intent, answer.more) == ("nlu_fallback", ())


def events_after(parse_data, *actions):
    message = UserUttered("text", parse_data["intent"], parse_data=parse_data)
    events = [ActionExecuted("action_listen"), message]
    for action in actions:
        events += [ActionExecuted(action), BotUttered("...")]
    return events


def test_the_policy_plays_the_answers_that_follow_the_first_then_listens():
    parse = {"intent": {"name": "clinical_decision", "confidence": 1.0}, "more_answers": ["utter_topic_bdnf"]}
    assert next_of_more_answers(events_after(parse)) is None, "the rules give the first answer"
    assert next_of_more_answers(events_after(parse, "utter_safety")) == "utter_topic_bdnf"
    assert next_of_more_answers(events_after(parse, "utter_safety", "utter_topic_bdnf")) == "action_listen"


def test_the_policy_leaves_a_message_of_one_question_to_the_rules():
    parse = {"intent": {"name": "topic_bdnf", "confidence": 1.0}}
    assert next_of_more_answers(events_after(parse, "utter_topic_bdnf")) is None


def test_a_part_counts_as_decided_by_a_rule_only_when_the_rule_gave_its_intent():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.multi_question import _outcome

    clinical_rule = {"rule": "clinical_pregnancy", "intent": "clinical_decision"}
    # Crisis beats clinical: the classifier's crisis stands, and it is not the rule's.
    part = Message(data={"text": "im breastfeeding", "intent": {"name": "crisis", "confidence": 0.7}})
    part.set("safety_guard", clinical_rule)
    assert not _outcome(part).by_rule and not _outcome(part).question
    part.set("intent", {"name": "clinical_decision", "confidence": 1.0})
    assert _outcome(part).by_rule
