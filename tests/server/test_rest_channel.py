"""The REST channel for programs (bot/web/rest.py) against a real bot: a good request gets
Rasa's usual answer, every bad one a 4xx with a JSON error, never a 500 and never a hang."""

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

PATH = "/webhooks/rest/webhook"


def post(bot, body: bytes, content_type="application/json", timeout=30):
    req = urllib.request.Request(bot.url + PATH, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def ask(text, sender=None):
    return json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()


def test_a_good_request_gets_the_answer_and_any_conversation_id_is_accepted(shared_bot, rendered):
    status, replies = post(shared_bot, ask("what is bdnf", sender="user-1"))
    assert status == 200 and replies[0]["text"] == rendered["utter_topic_bdnf"]
    assert replies[0]["recipient_id"] == "user-1"
    body = json.dumps({"sender": "prog 7", "message": "hello", "metadata": {"source": "test"}}).encode()
    assert post(shared_bot, body)[0] == 200


BAD = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b"42",
    b'"text"',
    b"true",
    b"{",
    b'{"sender": "a"',
    b"not json at all",
    b"\xff\xfe\x00",
    b'{"sender": "abc"}',
    b'{"message": "hi"}',
    b'{"sender": null, "message": "hi"}',
    b'{"sender": 5, "message": "hi"}',
    b'{"sender": ["a"], "message": "hi"}',
    b'{"sender": {"id": 1}, "message": "hi"}',
    b'{"sender": "", "message": "hi"}',
    b'{"sender": "a\\u0000b", "message": "hi"}',
    b'{"sender": "' + b"x" * 300 + b'", "message": "hi"}',
    b'{"sender": "abc", "message": null}',
    b'{"sender": "abc", "message": 5}',
    b'{"sender": "abc", "message": true}',
    b'{"sender": "abc", "message": ["hi"]}',
    b'{"sender": "abc", "message": {"text": "hi"}}',
    b'{"sender": "abc", "message": ""}',
    b'{"sender": "abc", "message": "   "}',
    b'{"sender": "abc", "message": "\\n\\t\\n"}',
    b'{"sender": "abc", "message": "\\u200b\\u200b"}',
    b'{"sender": "abc", "message": "hi\\u0000there"}',
    b'{"sender": "abc", "message": "bell\\u0007"}',
    b'{"sender": "abc", "message": "\\ud800"}',
    b'{"sender": "abc", "message": "' + b"a" * 5001 + b'"}',
    b'{"sender": "abc", "message": "' + b"\\u00e9" * 5001 + b'"}',
    b'{"sender": "abc", "message": "' + b"word " * 30000 + b'"}',
    b"x" * 200_000,
    b'{"sender": "abc", "message": "hi"}' + b" " * 100_000,
    b"\x00" * 100,
    b'{"sender": "abc", "message": "hi"} trailing',
    b'{"sender": "abc", "message": "hi", }',
    b'[{"sender": "abc", "message": "hi"}]',
]


@pytest.mark.parametrize("body", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_input_gets_a_4xx_with_a_json_error(shared_bot, body):
    status, answer = post(shared_bot, body)
    assert 400 <= status < 500, (status, answer)
    assert set(answer) == {"error", "message"} and answer["message"]


def test_a_huge_message_is_refused_before_the_nlu_and_others_are_still_answered(shared_bot, rendered):
    started = time.monotonic()
    status, answer = post(shared_bot, ask("kill " * 40_000))
    assert status == 413 and answer["error"] == "message_too_long"
    assert time.monotonic() - started < 5, "refused without reading or parsing the whole message"
    assert post(shared_bot, ask("what is bdnf"))[1][0]["text"] == rendered["utter_topic_bdnf"]


def test_a_patients_words_are_not_logged_when_a_request_is_refused(shared_bot):
    secret = "my-secret-words-" + uuid.uuid4().hex
    post(shared_bot, json.dumps({"sender": 5, "message": secret}).encode())
    assert secret not in shared_bot.log_path.read_text(errors="replace")


def test_other_clients_get_the_layers_and_the_save_button_as_plain_buttons(shared_bot, rendered):
    """REST clients (and `make shell`) see the widget's extras as ordinary buttons whose
    payloads work when sent back."""
    sender = uuid.uuid4().hex
    answer = post(shared_bot, ask("what is glutamate", sender))[1][0]
    assert answer["text"] == rendered["utter_topic_glutamate"]
    detail = next(b for b in answer["buttons"] if b["title"] == "More detail from the article")
    assert post(shared_bot, ask(detail["payload"], sender))[1][0]["text"] == rendered["utter_article_detail:glutamate"]
    assert post(shared_bot, ask("tell me more", sender))[1][0]["text"] == rendered["utter_article_detail:glutamate"]

    safety = post(shared_bot, ask("can I take ketamine with my lithium", sender))[1][0]
    assert safety["text"] == rendered["utter_safety"]
    assert [b["payload"] for b in safety["buttons"]] == ["/save_question_for_provider"]
    saved = post(shared_bot, ask("/save_question_for_provider", sender))[1][0]
    assert saved["text"] == rendered["utter_question_saved"]


def test_a_body_over_a_megabyte_is_refused_by_the_server_before_it_is_read(shared_bot):
    """Sanic's own limit (SANIC_REQUEST_MAX_SIZE, bot/supervisor.py), for every route; 100 MB by
    default. The answer comes from the declared length alone: not a byte of the body is sent."""
    import http.client
    import urllib.parse

    url = urllib.parse.urlsplit(shared_bot.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("POST", PATH)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(2 * 1024 * 1024))
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    assert status == 413
    assert post(shared_bot, ask("what is bdnf"))[0] == 200, "and the bot still answers"
