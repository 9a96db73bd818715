"""The clinic web channel on a real server: bad input, origins, rate limits, files, logs.

One server for the module, with low rate limits (its own credentials file) so the limits
can be reached quickly. The per-address test sends from an address of its own (127.0.0.2),
so using up that allowance leaves the other tests alone, in any order.
"""

import http.client
import json
import urllib.parse
import uuid

import pytest
import yaml

from tools.localserver import LocalBot

pytestmark = pytest.mark.slow

PER_CONVERSATION = 5
PER_ADDRESS = 60
CLINIC_SITE = "https://www.example-clinic.org"
SECRET_WORDS = "my neighbour Zebulon Quartermaine asked about ketamine"


@pytest.fixture(scope="module")
def bot(root, model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    credentials = yaml.safe_load((root / "credentials.yml").read_text())
    credentials["bot.web.channel.ClinicWebInput"].update(
        messages_per_minute_per_conversation=PER_CONVERSATION, messages_per_minute_per_address=PER_ADDRESS
    )
    (tmp / "credentials.yml").write_text(yaml.safe_dump(credentials))
    with LocalBot(
        model_path,
        cwd=root,
        action_server=False,
        log_path=tmp / "server.log",
        credentials=str(tmp / "credentials.yml"),
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp}/conv.db", "BOT_CORS_ORIGINS": CLINIC_SITE},
    ) as running:
        yield running


def request(bot, method, path, body=None, headers=None, source="127.0.0.1"):
    host, port = urllib.parse.urlsplit(bot.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def chat(bot, message, sender=None, headers=None, raw=None, source="127.0.0.1"):
    body = raw if raw is not None else json.dumps({"sender": sender or uuid.uuid4().hex, "message": message})
    status, headers, data = request(
        bot,
        "POST",
        "/webhooks/clinic/webhook",
        body,
        {"Content-Type": "application/json", **(headers or {})},
        source=source,
    )
    return status, headers, json.loads(data) if data else None


def test_a_question_gets_the_article_answer_with_feedback_buttons(bot, rendered):
    status, _, replies = chat(bot, "what is BDNF?")
    assert status == 200
    assert replies[0]["text"] == rendered["utter_topic_bdnf"]
    assert [b["payload"] for b in replies[0]["buttons"]] == [
        '/more_detail{"article_topic":"bdnf"}',
        "/feedback_helpful",
        "/feedback_not_helpful",
    ]


def test_a_personal_question_gets_the_fixed_safety_response(bot, rendered):
    assert chat(bot, "Can I take ketamine with my Zoloft?")[2][0]["text"] == rendered["utter_safety"]


ID = "0123456789abcdef0123456789abcdef"
BAD_REQUESTS = {
    "malformed JSON": (b'{"sender": "x", "message": ', 400, "invalid_json"),
    "not an object": (b'["hello"]', 400, "invalid_json"),
    "not UTF-8": (b"\xff\xfe\xfd", 400, "invalid_json"),
    "missing sender": (json.dumps({"message": "hi"}), 400, "invalid_conversation_id"),
    "sender not a string": (json.dumps({"sender": 42, "message": "hi"}), 400, "invalid_conversation_id"),
    "guessable sender": (json.dumps({"sender": "1", "message": "hi"}), 400, "invalid_conversation_id"),
    "missing message": (json.dumps({"sender": ID}), 400, "invalid_message"),
    "message not a string": (json.dumps({"sender": ID, "message": {"text": "hi"}}), 400, "invalid_message"),
    "empty message": (json.dumps({"sender": ID, "message": ""}), 400, "empty_message"),
    "whitespace only": (json.dumps({"sender": ID, "message": " \n\t\u3000 "}), 400, "empty_message"),
    "control characters": (json.dumps({"sender": ID, "message": "hi\u0000\u001b[31m"}), 400, "invalid_characters"),
    "lone surrogate": (b'{"sender": "%s", "message": "\\udc00"}' % ID.encode(), 400, "invalid_characters"),
    "1001 characters": (json.dumps({"sender": ID, "message": "a" * 1001}), 413, "message_too_long"),
    # Under the server's 1 MB limit for any request, far over this channel's own: its JSON answer.
    "900 KB body": (b'{"sender": "%s", "message": "%s"}' % (ID.encode(), b"a" * 900_000), 413, "message_too_long"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_gets_a_clear_json_4xx(bot, case):
    raw, status, error = BAD_REQUESTS[case]
    got_status, headers, body = chat(bot, None, raw=raw)
    assert (got_status, body["error"]) == (status, error)
    assert headers["content-type"] == "application/json"
    assert body["message"] and "Traceback" not in body["message"]


def test_too_long_tells_the_patient_to_shorten_it(bot):
    _, _, body = chat(bot, "please " * 200)
    assert "shorten it to 1000 characters" in body["message"]


def test_after_200_bad_requests_the_bot_still_answers(bot, rendered):
    cases = list(BAD_REQUESTS.values())
    statuses = {chat(bot, None, raw=cases[i % len(cases)][0])[0] for i in range(200)}
    assert statuses <= {400, 413}
    assert chat(bot, "what are nmda receptors")[2][0]["text"] == rendered["utter_topic_nmda_receptors"]


def test_pages_from_other_sites_are_refused(bot):
    status, headers, body = chat(bot, "hello", headers={"Origin": "https://evil.example"})
    assert status == 403 and body["error"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in {k.lower() for k in headers}


def test_the_clinic_site_and_the_bots_own_page_are_allowed_with_cors_for_that_origin_only(bot):
    status, headers, _ = chat(bot, "hello", headers={"Origin": CLINIC_SITE})
    assert status == 200
    allow = [v for k, v in headers.items() if k.lower() == "access-control-allow-origin"]
    assert allow == [CLINIC_SITE]
    status, _, _ = chat(bot, "hello", headers={"Origin": bot.url})
    assert status == 200


def test_preflight_from_the_clinic_site_is_allowed_and_from_others_not(bot):
    def preflight(origin):
        _, headers, _ = request(
            bot,
            "OPTIONS",
            "/webhooks/clinic/webhook",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        return {k.lower(): v for k, v in headers.items()}.get("access-control-allow-origin")

    assert preflight(CLINIC_SITE) == CLINIC_SITE
    assert preflight("https://evil.example") is None


def test_one_conversation_is_rate_limited_with_a_friendly_429(bot):
    sender = uuid.uuid4().hex
    statuses = [chat(bot, "what is glutamate", sender)[0] for _ in range(PER_CONVERSATION)]
    assert statuses == [200] * PER_CONVERSATION
    status, headers, body = chat(bot, "what is glutamate", sender)
    assert status == 429 and body["error"] == "rate_limited"
    assert "wait a moment" in body["message"]
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert chat(bot, "what is glutamate")[0] == 200, "other conversations go on"


def test_widget_files_have_content_types_and_caching(bot):
    status, headers, body = request(bot, "GET", "/widget/widget.js")
    assert status == 200 and headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=3600" and headers["X-Content-Type-Options"] == "nosniff"
    status, _, _ = request(bot, "GET", "/widget/widget.js", headers={"If-None-Match": headers["ETag"]})
    assert status == 304
    status, headers, _ = request(bot, "GET", "/widget/widget.css")
    assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
    assert request(bot, "GET", "/widget/..%2f..%2fclinic.yml")[0] == 404


def test_the_demo_page_embeds_the_widget_under_a_strict_policy(bot, clinic_variables):
    status, headers, body = request(bot, "GET", "/")
    page = body.decode()
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script src="/widget/widget.js" defer' in page
    assert clinic_variables["clinic_name"] in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "Hello from Rasa" not in page


def test_health_reports_the_model_and_the_store(bot):
    status, headers, body = request(bot, "GET", "/health")
    health = json.loads(body)
    assert status == 200
    assert health["status"] == "ok" and health["model"] == "loaded"
    assert health["conversation_store"]["status"] == "ok"


def test_the_patients_words_are_not_logged(bot):
    for message in (SECRET_WORDS, SECRET_WORDS + "\u0000", SECRET_WORDS * 30):
        chat(bot, message)
    log = bot.log_path.read_text(errors="replace")
    assert "Zebulon" not in log
    assert "clinic.request.rejected" in log, "the rejections themselves are logged (without text)"


def test_each_address_is_rate_limited(bot):
    # From an address of its own: the allowance it uses up is not the other tests'.
    statuses = [chat(bot, "what is bdnf", source="127.0.0.2")[0] for _ in range(PER_ADDRESS + 1)]
    assert statuses == [200] * PER_ADDRESS + [429]
    assert chat(bot, "what is bdnf")[0] == 200, "another address is not limited"
