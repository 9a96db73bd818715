""" "Did you mean", through the REST channel of a real bot (no action server): a question the
classifier is unsure of gets the article topics close to it as buttons, and a tap on one gets
that topic's answer; a question the article does not cover gets the plain decline."""

import uuid

import pytest

pytestmark = pytest.mark.slow


def test_an_unsure_question_is_offered_close_topics_and_a_tap_answers(shared_bot, rendered):
    sender = uuid.uuid4().hex
    offer = shared_bot.send(sender, "ketamine speed vs depression pills, whats the story")
    assert offer[0]["text"] == rendered["utter_close_topics"]
    payloads = [b["payload"] for b in offer[0]["buttons"]]
    # Both topics answer part of it; which the classifier ranks first moves with the data.
    assert {"/topic_rapid_action", "/topic_vs_antidepressants"} <= set(payloads)
    assert len(payloads) <= 3
    answer = shared_bot.send(sender, payloads[0])
    assert answer[0]["text"] == rendered[f"utter_{payloads[0][1:]}"]


def test_a_question_the_article_does_not_cover_gets_the_plain_decline(shared_bot, rendered):
    replies = shared_bot.send(uuid.uuid4().hex, "how much does ketamine cost")
    assert replies[0]["text"] == rendered["utter_out_of_scope"]
