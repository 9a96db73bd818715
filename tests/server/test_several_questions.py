"""Several questions in one message, through the REST channel of a real bot with no action
server: every answer comes from domain.yml, safety first."""

import uuid

import pytest

pytestmark = pytest.mark.slow


TWO_TOPICS = "How does ketamine work in the brain and what conditions is it used for?"


def texts(replies):
    return [r.get("text") for r in replies]


def test_a_clinical_question_and_a_general_one_get_the_safety_response_then_the_answer(shared_bot, rendered):
    replies = shared_bot.send(uuid.uuid4().hex, "What is ketamine and can I take it with my Zoloft?")
    assert texts(replies) == [rendered["utter_safety"], rendered["utter_topic_what_is_ketamine"]]


def test_two_article_questions_get_both_answers_in_order(shared_bot, rendered):
    replies = shared_bot.send(uuid.uuid4().hex, TWO_TOPICS)
    assert texts(replies) == [rendered["utter_topic_how_it_works"], rendered["utter_topic_conditions_treated"]]


def test_a_part_the_article_does_not_cover_is_declined_after_the_answer(shared_bot, rendered):
    replies = shared_bot.send(uuid.uuid4().hex, "Does ketamine help with PTSD? And do you take insurance?")
    assert texts(replies) == [rendered["utter_topic_ptsd"], rendered["utter_out_of_scope_rest"]]
    assert "other part of your question" in replies[1]["text"]


def test_a_crisis_in_one_part_gets_the_crisis_response_alone(shared_bot, rendered):
    replies = shared_bot.send(uuid.uuid4().hex, "what does bdnf do. i took all my pills an hour ago")
    assert texts(replies) == [rendered["utter_crisis:overdose"]]


def test_tell_me_more_after_two_answers_is_about_the_last_one(shared_bot, rendered):
    sender = uuid.uuid4().hex
    shared_bot.send(sender, TWO_TOPICS)
    replies = shared_bot.send(sender, "tell me more")
    assert replies[0]["text"] == rendered["utter_article_detail:conditions_treated"]


def test_one_question_still_gets_one_answer(shared_bot, rendered):
    replies = shared_bot.send(uuid.uuid4().hex, "Is ketamine used for depression and anxiety?")
    assert len(replies) == 1
