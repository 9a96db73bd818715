"""The real bot over HTTP: `python -m bot run`, a Rasa server and (optionally) the action server."""

import uuid
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from tools.localserver import LocalBot

pytestmark = pytest.mark.slow


def new_id():
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def bot(root, model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    with LocalBot(
        model_path, cwd=root, env={"BOT_DATABASE_URL": f"sqlite:///{tmp}/conv.db"}, log_path=tmp / "server.log"
    ) as running:
        yield running


@pytest.mark.parametrize(
    "question,response",
    [
        ("what does ketamine do to nmda receptors", "utter_topic_nmda_receptors"),
        ("should i stop my lexapro before ketamine", "utter_safety"),
        ("i want to kill myself", "utter_crisis:suicide"),
        ("how much is one infusion", "utter_out_of_scope"),
    ],
)
def test_rest_channel_answers(bot, rendered, question, response):
    replies = bot.send(new_id(), question)
    assert replies[0]["text"] == rendered[response]


def test_handoff_gets_the_static_answer_and_the_open_now_extra(bot, rendered):
    # The handoff button's payload: this is about the action server's extra, not about NLU
    # (tests/model/test_model.py and `make eval` cover how typed requests are understood).
    replies = bot.send(new_id(), "/human_handoff")
    assert replies[0]["text"] == rendered["utter_human_handoff"]
    assert len(replies) == 2 and replies[1]["text"].startswith("The clinic is")


def listening_addresses(port):
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, p = local.rsplit(":", 1)
            if int(p, 16) == port and state == "0A":  # LISTEN
                found.append(addr)
    return found


def test_server_listens_on_localhost_only(bot):
    assert listening_addresses(bot.port) == ["0100007F"]  # 127.0.0.1


@pytest.mark.parametrize("path", ["/conversations/someone/tracker", "/model", "/status"])
def test_http_api_is_off_by_default(bot, path):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(bot.url + path, timeout=10)
    assert e.value.code == 404


def test_answers_are_served_with_the_action_server_down(shared_bot, rendered):
    # The shared bot runs without an action server.
    assert not any(b"rasa_sdk" in open(f"/proc/{pid}/cmdline", "rb").read() for pid in shared_bot.pids())
    for question, response in [
        ("what is bdnf", "utter_topic_bdnf"),
        ("is ketamine safe for me if i have high blood pressure", "utter_safety"),
        ("i am going to overdose tonight", "utter_crisis:suicide"),
    ]:
        assert shared_bot.send(new_id(), question)[0]["text"] == rendered[response]
    replies = shared_bot.send(new_id(), "what is the clinic phone number")
    assert replies[0]["text"] == rendered["utter_human_handoff"]


def test_the_crisis_state_lasts_with_the_action_server_down(shared_bot, rendered):
    """Slot, rules and reminder live in the Rasa server: no custom action is involved."""
    assert not any(b"rasa_sdk" in open(f"/proc/{pid}/cmdline", "rb").read() for pid in shared_bot.pids())
    sender = new_id()
    reminder = rendered["utter_crisis_reminder:abuse"]
    assert shared_bot.send(sender, "my husband hits me")[0]["text"] == rendered["utter_crisis:abuse"]
    for text, response in [
        ("i'm fine, forget it", "utter_deny_crisis"),
        ("what is glutamate", "utter_topic_glutamate"),
        ("what is the clinic phone number", "utter_human_handoff"),
        ("bye", "utter_goodbye"),
    ]:
        replies = shared_bot.send(sender, text)
        assert replies[0]["text"] == f"{rendered[response]}\n{reminder}", text
    # Another patient's conversation carries no trace of it.
    assert shared_bot.send(new_id(), "what is glutamate")[0]["text"] == rendered["utter_topic_glutamate"]


def stored_events(db_path, sender):
    engine = sa.create_engine(f"sqlite:///{db_path}", future=True)
    with engine.connect() as conn:
        rows = (
            conn.execute(sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
            .scalars()
            .all()
        )
    engine.dispose()
    return rows


def test_conversation_survives_a_restart_on_sqlite(root, model_path, rendered, tmp_path):
    db = tmp_path / "conversations.db"
    env = {"BOT_DATABASE_URL": f"sqlite:///{db}"}
    sender = new_id()
    first = LocalBot(model_path, cwd=root, env=env, action_server=False, log_path=tmp_path / "1.log").start()
    first.send(sender, "hello")
    first.send(sender, "what is glutamate")
    running = first.pids()
    assert len(running) == 2 and all(pid_alive(pid) for pid in running), "the supervisor and the Rasa server"
    assert first.stop() == 0, "SIGTERM must stop the bot cleanly"
    assert not any(pid_alive(pid) for pid in running), "no process is left behind"

    with LocalBot(model_path, cwd=root, env=env, action_server=False, log_path=tmp_path / "2.log") as second:
        assert second.send(sender, "and what is bdnf")[0]["text"] == rendered["utter_topic_bdnf"]

    events = stored_events(db, sender)
    assert events.count("user") == 3
    # One session: after the restart the server continued the stored conversation
    # instead of starting a new one.
    assert events.count("session_started") == 1


def pid_alive(pid):
    try:
        import os

        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_server_process_does_not_load_jax(bot):
    # bot/rasa_server.py keeps TensorFlow's optional jax import out (65 MB, half a second).
    (rasa_pid,) = [pid for pid in bot.pids() if b"bot.rasa_server" in open(f"/proc/{pid}/cmdline", "rb").read()]
    maps = open(f"/proc/{rasa_pid}/maps").read()
    assert "tensorflow" in maps, "the check reads the right process: Rasa always loads TensorFlow"
    assert "jaxlib" not in maps
