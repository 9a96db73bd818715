"""Bad input over socket.io, at both of its layers: every malformed `user_uttered` event gets a
reason and never reaches the NLU; every malformed engine.io request gets a 4xx, never a 5xx."""

from __future__ import annotations

import http.client
import sqlite3
import uuid

import pytest

from test_socketio import send_events

pytestmark = pytest.mark.slow

REASONS = {
    "The request could not be read. Please try again.",
    "Please type your question as text.",
    "Please type a question first.",
    "Your message contains characters that can't be read. Please retype it.",
    "Your message is too long. Please shorten it to 1000 characters or fewer.",
    "This conversation could not be found. Please clear the conversation and start again.",
}

MARK = "refused-" + uuid.uuid4().hex  # in every bad event that carries text: never stored

# Each: the event's data, given the confirmed session id.
BAD_EVENTS = [
    lambda s: None,
    lambda s: 42,
    lambda s: 4.2,
    lambda s: True,
    lambda s: "a string " + MARK,
    lambda s: ["a", "list", MARK],
    lambda s: {},
    lambda s: {"session_id": s},
    lambda s: {"message": None, "session_id": s},
    lambda s: {"message": 42, "session_id": s},
    lambda s: {"message": ["what is bdnf", MARK], "session_id": s},
    lambda s: {"message": {"text": MARK}, "session_id": s},
    lambda s: {"message": True, "session_id": s},
    lambda s: {"message": "", "session_id": s},
    lambda s: {"message": "   \n\t ", "session_id": s},
    lambda s: {"message": "\u200b\u200b\ufeff", "session_id": s},
    lambda s: {"message": MARK + "\x00", "session_id": s},
    lambda s: {"message": MARK + "\x07", "session_id": s},
    lambda s: {"message": MARK + "\x1b[31m", "session_id": s},
    lambda s: {"message": MARK + "\ud800", "session_id": s},
    lambda s: {"message": MARK + "a" * 1000, "session_id": s},
    lambda s: {"message": MARK + " é" * 600, "session_id": s},
    lambda s: {"message": MARK + " kill" * 50_000, "session_id": s},
    lambda s: {"message": MARK, "session_id": None},
    lambda s: {"message": MARK, "session_id": 12345},
    lambda s: {"message": MARK, "session_id": "short"},
    lambda s: {"message": MARK, "session_id": "not a session id with spaces"},
    lambda s: {"message": MARK, "session_id": "x" * 65},
    lambda s: {"message": MARK, "session_id": ["list"]},
]


def test_every_bad_event_gets_a_reason_and_nothing_is_stored(bot):
    replies = __import__("asyncio").run(send_events(bot.url, BAD_EVENTS))
    assert len(replies) == len(BAD_EVENTS)
    for n, reply in enumerate(replies):
        assert reply["text"] in REASONS, (n, reply)
    with sqlite3.connect(bot.db) as conn:
        stored = [row[0] for row in conn.execute("SELECT data FROM events")]
    assert not [e for e in stored if MARK in e]


def engineio(bot, method: str, query: str, body: bytes = b"", headers=None) -> int:
    port = int(bot.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, "/socket.io/" + query, body, headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def open_session(bot) -> str:
    port = int(bot.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/socket.io/?EIO=4&transport=polling")
    body = conn.getresponse().read().decode()
    conn.close()
    import json

    return json.loads(body[1:])["sid"]  # "0{...}": the engine.io OPEN packet


BAD_REQUESTS = [
    ("GET", "", b""),
    ("GET", "?transport=polling", b""),
    ("GET", "?EIO=2&transport=polling", b""),
    ("GET", "?EIO=abc&transport=polling", b""),
    ("GET", "?EIO=4&transport=carrier-pigeon", b""),
    ("GET", "?EIO=4&transport=polling&sid=nosuchsession", b""),
    ("GET", "?EIO=4&transport=websocket", b""),  # a WebSocket request without the upgrade
    ("POST", "?EIO=4&transport=polling", b"40"),  # no session
    ("POST", "?EIO=4&transport=polling&sid=nosuchsession", b"40"),
    ("PUT", "?EIO=4&transport=polling", b""),
    ("DELETE", "?EIO=4&transport=polling", b""),
    ("POST", "?EIO=4&transport=polling&sid={sid}", b"x" * 2_000_000),
]


@pytest.mark.parametrize("method,query,body", BAD_REQUESTS, ids=[f"bad-request-{i}" for i in range(len(BAD_REQUESTS))])
def test_every_bad_engineio_request_gets_a_4xx(bot, method, query, body):
    if "{sid}" in query:
        query = query.format(sid=open_session(bot))
    try:
        status = engineio(bot, method, query, body)
    except (ConnectionResetError, BrokenPipeError):
        # The server refused a body over its limit and closed the connection before the end of it.
        assert len(body) > 1_000_000
        return
    assert 400 <= status < 500, status


@pytest.mark.parametrize("packet", [b"\xff\xfe\xfd", b"9garbage", b"4" + b"[" * 1000], ids=["bytes", "type", "nesting"])
def test_a_garbage_packet_is_dropped_without_a_5xx(bot, rendered, packet):
    """engine.io acknowledges a polling POST (200) before it decodes the packets in it, and drops
    a packet it cannot decode: not a 4xx, but never a 5xx, and the bot answers on."""
    sid = open_session(bot)
    assert engineio(bot, "POST", f"?EIO=4&transport=polling&sid={sid}", packet) < 500
    assert bot.send(uuid.uuid4().hex, "what is bdnf")[0]["text"] == rendered["utter_topic_bdnf"]
