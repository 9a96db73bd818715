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
