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
