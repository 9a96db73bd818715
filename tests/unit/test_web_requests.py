"""The web channel's pure parts: request checks, origins, rate limits and the served files."""

import json

import pytest

from bot.web import assets
from bot.web.origins import cors_headers, normalise_origin, origin_allowed, parse_origins
from bot.web.rate_limit import SlidingWindowLimiter
from bot.web.validation import ChatRequest, RequestError, clean_text, max_body_bytes, parse_chat_request

ID = "0123456789abcdef0123456789abcdef"


def body(**fields):
    return json.dumps(fields).encode()


def test_a_good_request_gives_the_id_and_the_cleaned_text():
    assert parse_chat_request(body(sender=ID, message="  what is BDNF?\n")) == ChatRequest(ID, "what is BDNF?")


@pytest.mark.parametrize(
    "raw,error",
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe\x00", "invalid_json"),
        (b"[]", "invalid_json"),
        (b'"just a string"', "invalid_json"),
        (body(message="hi"), "invalid_conversation_id"),
        (body(sender=12345678901234567890, message="hi"), "invalid_conversation_id"),
        (body(sender="short", message="hi"), "invalid_conversation_id"),
        (body(sender="../../etc/passwd/aaaaaaaaaaaa", message="hi"), "invalid_conversation_id"),
        (body(sender=ID), "invalid_message"),
        (body(sender=ID, message=None), "invalid_message"),
        (body(sender=ID, message=["hi"]), "invalid_message"),
        (body(sender=ID, message=""), "empty_message"),
        (body(sender=ID, message=" \n\t "), "empty_message"),
        (body(sender=ID, message="\u200b\u200b"), "empty_message"),
        (body(sender=ID, message="hi\u0000there"), "invalid_characters"),
        (body(sender=ID, message="bell\u0007"), "invalid_characters"),
        (b'{"sender": "' + ID.encode() + b'", "message": "\\ud800 lone surrogate"}', "invalid_characters"),
        (body(sender=ID, message="a" * 1001), "message_too_long"),
    ],
)
def test_bad_requests_are_rejected_with_a_code_and_a_message_for_the_patient(raw, error):
    result = parse_chat_request(raw, max_chars=1000)
    assert isinstance(result, RequestError)
    assert result.error == error
    assert 400 <= result.status < 500
    assert result.message.endswith(".") and "Traceback" not in result.message


def test_too_long_says_how_long_is_allowed():
    result = parse_chat_request(body(sender=ID, message="a" * 51), max_chars=50)
    assert result.status == 413 and "50 characters" in result.message and "shorten" in result.message


def test_a_huge_body_is_refused_before_it_is_parsed():
    raw = b'{"sender": "' + ID.encode() + b'", "message": "' + b"a" * max_body_bytes(1000) + b'"}'
    assert parse_chat_request(raw, 1000).error == "message_too_long"


@pytest.mark.parametrize("text", ["a" * 1000, "é" * 1000, "\U0001f600" * 1000, "\\" * 1000])
def test_the_limit_counts_characters_not_bytes(text):
    assert isinstance(parse_chat_request(body(sender=ID, message=text), 1000), ChatRequest)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("cafe\u0301", "café"),  # NFC
        ("what\u200b is\u202e bdnf", "what is bdnf"),  # invisible format characters dropped
        ("family \U0001f468\u200d\U0001f469", "family \U0001f468\u200d\U0001f469"),  # ZWJ emoji kept
        ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),  # markup is just text here
        ("line one\nline two", "line one\nline two"),
    ],
)
def test_clean_text(text, expected):
    assert clean_text(text) == expected


def test_newer_emoji_than_pythons_unicode_tables_are_accepted():
    assert isinstance(parse_chat_request(body(sender=ID, message="thanks \U0001fae8"), 1000), ChatRequest)


# ---- origins ----


@pytest.mark.parametrize(
    "value,expected",
    [
        ("https://WWW.Example-Clinic.org/", "https://www.example-clinic.org"),
        ("https://www.example.org:443", "https://www.example.org"),
        ("http://localhost:5005", "http://localhost:5005"),
        ("javascript:alert(1)", None),
        ("null", None),
        ("", None),
    ],
)
def test_normalise_origin(value, expected):
    assert normalise_origin(value) == expected


def test_parse_origins_rejects_nonsense_so_a_typo_fails_at_start_up():
    assert parse_origins(" https://a.example.org, https://b.example.org ,") == (
        "https://a.example.org",
        "https://b.example.org",
    )
    with pytest.raises(ValueError, match="not a web origin"):
        parse_origins("www.example.org")


@pytest.mark.parametrize(
    "origin,allowed",
    [
        (None, True),  # not a browser page
        ("https://www.example-clinic.org", True),  # configured
        ("https://WWW.example-clinic.org", True),
        ("http://127.0.0.1:5005", True),  # the bot's own demo page
        ("https://127.0.0.1:5005", True),  # ... behind a TLS proxy
        ("https://evil.example", False),
        ("https://www.example-clinic.org.evil.example", False),
        ("null", False),  # sandboxed iframes, file:// pages
    ],
)
def test_origin_allowed(origin, allowed):
    assert origin_allowed(origin, ("https://www.example-clinic.org",), own_host="127.0.0.1:5005") is allowed


def test_cors_headers_name_exactly_the_one_origin():
    headers = cors_headers("https://www.example-clinic.org")
    assert headers["Access-Control-Allow-Origin"] == "https://www.example-clinic.org"
    assert headers["Vary"] == "Origin"


# ---- rate limits ----


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_limiter_allows_up_to_the_limit_per_window_then_says_how_long_to_wait():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=3, window_seconds=60, clock=clock)
    assert [limiter.retry_after("a") for _ in range(3)] == [None, None, None]
    clock.now += 10
    assert limiter.retry_after("a") == 50
    assert limiter.retry_after("b") is None, "keys are independent"
    clock.now += 50
    assert limiter.retry_after("a") is None, "the window slides"


def test_limiter_forgets_idle_keys():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=1, window_seconds=60, clock=clock)
    for i in range(100):
        limiter.retry_after(f"conversation-{i}")
    clock.now += 61
    limiter.retry_after("new")
    assert len(limiter._hits) == 1


# ---- served files ----


def test_only_the_listed_widget_files_are_served():
    assert assets.widget_file("widget.js").content_type.startswith("application/javascript")
    assert assets.widget_file("widget.css").content_type.startswith("text/css")
    assert assets.widget_file("../assets.py") is None
    assert assets.widget_file("demo.html") is None


def test_demo_page_escapes_the_clinic_details():
    page = assets.render_demo_page('<p>{{clinic_name}}</p><x data-n="{{notice}}">', 'A&B "Clinic" <b>', 'Call "911"')
    assert page == '<p>A&amp;B &quot;Clinic&quot; &lt;b&gt;</p><x data-n="Call &quot;911&quot;">'


def test_etag_revalidation():
    asset = assets.widget_file("widget.js")
    assert assets.not_modified(asset, asset.etag)
    assert assets.not_modified(asset, f'"other", {asset.etag}')
    assert not assets.not_modified(asset, '"other"')
    assert not assets.not_modified(asset, None)


def test_widget_files_fetch_nothing_from_elsewhere(root):
    for name in ("widget.js", "widget.css", "demo.css", "demo.html"):
        text = (assets.STATIC_DIR / name).read_text()
        assert "http://" not in text and "@import" not in text and "url(" not in text, name
        assert "https://" not in text.replace("https://BOT", "").replace("https://YOUR-BOT-ADDRESS", "").replace(
            "/https:\\/\\/", ""
        ), name


def test_a_decoded_message_gets_the_same_checks_as_a_request_body():
    from bot.web.validation import check_chat

    sender = "a" * 32
    assert check_chat({"sender": sender, "message": " what is BDNF? "}) == ChatRequest(sender, "what is BDNF?")
    assert check_chat("not an object").error == "invalid_json"
    assert check_chat({"sender": sender, "message": "x" * 1001}).error == "message_too_long"
    assert check_chat({"sender": sender, "message": "x" * 1001}, max_chars=2000) == ChatRequest(sender, "x" * 1001)
    assert check_chat({"sender": "short", "message": "hi"}).error == "invalid_conversation_id"


def test_socketio_metadata_is_an_object_or_nothing():
    from bot.web.socketio import metadata_of

    assert metadata_of({"a": 1}) == {"a": 1}
    assert metadata_of('{"a": 1}') == {"a": 1}
    assert metadata_of("{not json") is None
    assert metadata_of("[1, 2]") is None
    assert metadata_of(None) is None
