"""A condition the article does not name, through the REST channel of a real bot: the closest
section's answer, opened by a line that says the article does not mention it."""

import uuid

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "question, condition, answer",
    [
        ("does ketamine help ocd", "OCD", "utter_topic_conditions_treated"),
        ("ketamine for fibromyalgia", "fibromyalgia", "utter_topic_chronic_pain"),
    ],
)
def test_the_answer_says_first_that_the_article_does_not_mention_the_condition(
    shared_bot, rendered, question, condition, answer
):
    replies = shared_bot.send(uuid.uuid4().hex, question)
    first, rest = replies[0]["text"].split("\n", 1)
    assert first == f"The article doesn't mention {condition}. Here is what it says that comes closest:"
    assert rest == rendered[answer]


def test_a_personal_question_about_such_a_condition_is_still_a_clinical_decision(shared_bot, rendered):
    replies = shared_bot.send(uuid.uuid4().hex, "would ketamine help my ocd")
    assert replies[0]["text"] == rendered["utter_safety"]


@pytest.mark.parametrize(
    "first_question, follow_up, condition, answer",
    [
        ("is ketamine used for chronic pain", "what about migraines?", "migraine", "utter_topic_chronic_pain"),
        ("what conditions can ketamine treat", "does it help ocd too", "OCD", "utter_topic_conditions_treated"),
    ],
)
def test_another_condition_asked_right_after_the_closest_answer_gets_that_answer_again_with_the_line(
    shared_bot, rendered, first_question, follow_up, condition, answer
):
    # Asking the same topic again gets the article's own wording; a condition the article does
    # not name is a new question, so the plain answer and the line come back (data/rules/topics.yml).
    conversation = uuid.uuid4().hex
    assert shared_bot.send(conversation, first_question)[0]["text"].startswith(rendered[answer])
    replies = shared_bot.send(conversation, follow_up)
    first, rest = replies[0]["text"].split("\n", 1)
    assert first == f"The article doesn't mention {condition}. Here is what it says that comes closest:"
    assert rest.startswith(rendered[answer])
