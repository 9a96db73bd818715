"""GET /health on the real server, and the bot answering on while the database is stuck."""

import json
import sqlite3
import urllib.request
import uuid

import pytest
import yaml

from tools.localserver import LocalBot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bot(root, model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("health")
    endpoints = yaml.safe_load((root / "endpoints.yml").read_text().replace("${ACTION_SERVER_URL}", "x"))
    # Short waits so a locked database turns into a failed save within a second.
    endpoints["tracker_store"].update(busy_timeout_ms=100, save_attempts=2, spool_dir=str(tmp / "spool"))
    endpoints.pop("action_endpoint")
    (tmp / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    with LocalBot(
        model_path,
        cwd=root,
        action_server=False,
        log_path=tmp / "server.log",
        endpoints=str(tmp / "endpoints.yml"),
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp}/conv.db"},
    ) as running:
        running.db = tmp / "conv.db"
        yield running


def health(bot):
    try:
        with urllib.request.urlopen(bot.url + "/health", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_health_is_ok_with_the_model_loaded(bot):
    status, body = health(bot)
    assert status == 200
    assert body["status"] == "ok" and body["model"] == "loaded"
    assert body["conversation_store"]["status"] == "ok"


def test_a_stuck_database_is_reported_and_the_bot_answers_on(bot, rendered):
    sender = uuid.uuid4().hex
    assert bot.send(sender, "what is bdnf")[0]["text"] == rendered["utter_topic_bdnf"]
    blocker = sqlite3.connect(bot.db, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # e.g. a backup or another process holding the file
    try:
        assert bot.send(sender, "what is glutamate")[0]["text"] == rendered["utter_topic_glutamate"]
        status, body = health(bot)
        assert status == 200, "still answering, so a load balancer must keep sending patients"
        assert body["status"] == "degraded"
        assert body["conversation_store"]["status"] == "degraded"
        assert body["conversation_store"]["unsaved_conversations"] == 1
    finally:
        blocker.rollback()
        blocker.close()
    assert bot.send(sender, "what are nmda receptors")[0]["text"] == rendered["utter_topic_nmda_receptors"]
    status, body = health(bot)
    assert body["status"] == "ok" and body["conversation_store"]["unsaved_conversations"] == 0
    with sqlite3.connect(bot.db) as conn:
        texts = [
            json.loads(d)["text"]
            for (d,) in conn.execute(
                "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
            )
        ]
    assert texts == ["what is bdnf", "what is glutamate", "what are nmda receptors"], "nothing lost"
    log = bot.log_path.read_text()
    assert sender in log and "glutamate" not in log, "the failure is logged with the id, not the text"


def test_a_conversation_that_cannot_be_read_gets_a_503_not_a_fresh_start(bot, rendered):
    sender = uuid.uuid4().hex
    assert bot.send(sender, "I want to kill myself")  # a crisis: the history that must not be dropped
    with sqlite3.connect(bot.db) as conn:
        conn.execute("ALTER TABLE events RENAME TO events_away")  # the database loses the table
    try:
        request = urllib.request.Request(
            bot.url + "/webhooks/clinic/webhook",
            data=json.dumps({"sender": sender, "message": "what is bdnf"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 503
        assert "try again" in json.loads(refused.value.read())["message"]
    finally:
        with sqlite3.connect(bot.db) as conn:
            conn.execute("ALTER TABLE events_away RENAME TO events")
    replies = bot.send(sender, "what is bdnf")
    # Read again from the database, the conversation still knows about the crisis.
    assert replies[0]["text"] == f"{rendered['utter_topic_bdnf']}\n{rendered['utter_crisis_reminder:suicide']}"


def test_on_sigterm_health_says_draining_while_patients_are_still_answered(root, model_path, tmp_path, rendered):
    import os
    import signal
    import time

    with LocalBot(
        model_path,
        cwd=root,
        action_server=False,
        log_path=tmp_path / "server.log",
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp_path}/conv.db", "BOT_DRAIN_SECONDS": "4"},
    ) as running:
        assert health(running)[0] == 200
        stopped_at = time.monotonic()
        os.kill(running.proc.pid, signal.SIGTERM)  # the supervisor passes it on to the Rasa server
        time.sleep(0.5)
        status, body = health(running)
        assert (status, body) == (503, {"status": "draining"})
        assert running.send(uuid.uuid4().hex, "what is bdnf")[0]["text"] == rendered["utter_topic_bdnf"]
        running.proc.wait(timeout=60)
        assert time.monotonic() - stopped_at >= 4, "it answered for the whole drain before stopping"
