"""socket.io channel with session persistence: replies arrive, and a reconnect continues.

Uses a real socket.io client (python-socketio's AsyncClient) against the real server; this is
the path rasa-webchat takes, which Rasa 3.6.21 breaks (RasaHQ/rasa#13027).
"""

import asyncio
import uuid

import pytest
import socketio

from bot.web.socketio import accepted_session_id

pytestmark = pytest.mark.slow


def test_random_session_ids_are_kept_and_guessable_ones_replaced():
    sid = uuid.uuid4().hex
    assert accepted_session_id(sid) == sid
    for bad in (None, "", "1", "admin", "../../etc", 42, "x" * 65, "abc def ghi jkl mno"):
        replaced = accepted_session_id(bad)
        assert replaced != bad and len(replaced) == 32


CLINIC_SITE = "https://www.example-clinic.org"


async def converse(url, session_id, text, origin=None):
    """Connects, claims `session_id`, sends one message, returns (confirmed id, first reply)."""
    client = socketio.AsyncClient()
    confirmed = asyncio.get_running_loop().create_future()
    reply = asyncio.get_running_loop().create_future()
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    client.on("bot_uttered", lambda data: reply.done() or reply.set_result(data))
    await client.connect(
        url, socketio_path="/socket.io", transports=["websocket"], headers={"Origin": origin} if origin else {}
    )
    try:
        await client.emit("session_request", {"session_id": session_id})
        session = await asyncio.wait_for(confirmed, 10)
        await client.emit("user_uttered", {"message": text, "session_id": session})
        return session, await asyncio.wait_for(reply, 30)
    finally:
        await client.disconnect()


@pytest.fixture(scope="module")
def bot(shared_bot):
    return shared_bot


def test_replies_arrive_and_a_reconnect_continues_the_conversation(bot, rendered):
    session_id = uuid.uuid4().hex
    confirmed, reply = asyncio.run(converse(bot.url, session_id, "what is synaptogenesis"))
    assert confirmed == session_id
    assert reply["text"] == rendered["utter_topic_synaptogenesis"]

    # Same session id after a reconnect: same conversation (the REST view shows one tracker).
    confirmed, reply = asyncio.run(converse(bot.url, session_id, "should i try it?"))
    assert confirmed == session_id
    assert reply["text"] == rendered["utter_safety"]


def test_quick_reply_buttons_travel_over_socketio(bot):
    _, reply = asyncio.run(converse(bot.url, uuid.uuid4().hex, "/topic_menu"))
    assert reply["quick_replies"][0]["payload"] == "/topic_what_is_ketamine"


def test_guessable_session_id_is_replaced(bot):
    confirmed, reply = asyncio.run(converse(bot.url, "1", "hello"))
    assert confirmed != "1" and len(confirmed) == 32
    assert reply["text"]


def test_only_the_clinic_site_may_connect_from_a_browser(bot, rendered):
    _, reply = asyncio.run(converse(bot.url, uuid.uuid4().hex, "what is bdnf", origin=CLINIC_SITE))
    assert reply["text"] == rendered["utter_topic_bdnf"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        asyncio.run(converse(bot.url, uuid.uuid4().hex, "what is bdnf", origin="https://evil.example"))


async def send_events(url, events):
    """Connects, claims a session, emits each event's data as `user_uttered` (a function of the
    confirmed session id) and returns the first reply to each."""
    client = socketio.AsyncClient()
    confirmed = asyncio.get_running_loop().create_future()
    replies: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    client.on("bot_uttered", lambda data: replies.put_nowait(data))
    await client.connect(url, socketio_path="/socket.io", transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": uuid.uuid4().hex})
        session = await asyncio.wait_for(confirmed, 10)
        out = []
        for event in events:
            await client.emit("user_uttered", event(session))
            out.append(await asyncio.wait_for(replies.get(), 30))
            while not replies.empty():  # an answer's further messages (none expected here)
                replies.get_nowait()
        return out
    finally:
        await client.disconnect()


def test_bad_events_get_a_reason_and_never_reach_the_nlu(bot, rendered):
    long_text = "what is bdnf " + "x" * 1000 + uuid.uuid4().hex
    events = [
        lambda s: {"message": long_text, "session_id": s},
        lambda s: "just a string",
        lambda s: ["a", "list"],
        lambda s: {"session_id": s},
        lambda s: {"message": 42, "session_id": s},
        lambda s: {"message": "   ", "session_id": s},
        lambda s: {"message": "what is bdnf\x00", "session_id": s},
        lambda s: {"message": "what is bdnf", "session_id": "not a session"},
        lambda s: {"message": "what is bdnf", "session_id": s, "metadata": "{not json"},
    ]
    replies = asyncio.run(send_events(bot.url, events))
    texts = [r["text"] for r in replies]
    assert texts[0] == "Your message is too long. Please shorten it to 1000 characters or fewer."
    assert texts[1] == texts[2] == "The request could not be read. Please try again."
    assert texts[3] == texts[4] == "Please type your question as text."
    assert texts[5] == "Please type a question first."
    assert texts[6] == "Your message contains characters that can't be read. Please retype it."
    assert texts[7].startswith("This conversation could not be found.")
    assert texts[8] == rendered["utter_topic_bdnf"], "bad metadata is dropped, the question answered"
    import sqlite3

    with sqlite3.connect(bot.db) as conn:
        stored = [row[0] for row in conn.execute("SELECT data FROM events WHERE type_name = 'user'")]
    assert not [e for e in stored if long_text[-32:] in e], "a refused message is never stored"


def handshake_headers(bot, origin):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(bot.url + "/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.getheaders()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.items()


def test_the_handshake_names_an_allowed_origin_once(bot):
    """Two Access-Control-Allow-Origin headers (engine.io's and Rasa's CORS extension's) make a
    browser refuse the handshake: rasa-webchat on the clinic's site would never connect."""
    status, headers = handshake_headers(bot, CLINIC_SITE)
    allow = [v for k, v in headers if k.lower() == "access-control-allow-origin"]
    assert status == 200 and allow == [CLINIC_SITE]
    status, headers = handshake_headers(bot, "https://evil.example.net")
    assert status >= 400 and not [v for k, v in headers if k.lower() == "access-control-allow-origin"]
