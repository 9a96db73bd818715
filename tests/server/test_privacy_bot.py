"""Through the running bot: personal data never reaches the database, and the staff report
counts real conversations exactly. Each module fixture starts one real server."""

import asyncio
import io
import json
import os
import re
import uuid
from contextlib import redirect_stdout
from pathlib import Path
from unittest import mock

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain

from bot.__main__ import main
from tools.localserver import LocalBot
from tools.privacy_check import (
    all_rows_as_bytes,
    count_placeholders,
    forbidden,
    leaks,
    load_corpus,
    send_corpus,
    stored_user_texts,
)
from bot.storage.redaction import redact
from bot.settings import DATABASE_URL_ENV
from bot.storage.tracker_store import ClinicTrackerStore
from postgres_db import temporary_database

pytestmark = pytest.mark.slow

CORPUS = load_corpus()
EXPECTED_PLACEHOLDERS = sum(len(m["kinds"]) for m in CORPUS)


def file_bytes(db: Path) -> bytes:
    # The database and its write-ahead log (-wal) and index (-shm), whatever is there.
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


@pytest.fixture(scope="module")
def sqlite_corpus(root, model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pii-sqlite")
    db = tmp / "conversations.db"
    with LocalBot(
        model_path,
        cwd=root,
        env={DATABASE_URL_ENV: f"sqlite:///{db}"},
        action_server=False,
        log_path=tmp / "server.log",
    ) as bot:
        sent = send_corpus(bot.send, CORPUS)
        while_running = file_bytes(db)
    return db, sent, while_running, (tmp / "server.log").read_bytes()


def test_every_corpus_message_got_an_answer(sqlite_corpus):
    _, sent, _, _ = sqlite_corpus
    assert len(CORPUS) >= 60 and sum(map(len, sent.conversations.values())) == len(CORPUS)
    assert sent.unanswered == []


def test_no_personal_data_in_the_sqlite_file_or_its_log(sqlite_corpus):
    db, _, while_running, _ = sqlite_corpus
    assert b"[PHONE]" in while_running or b"[PHONE]" in file_bytes(db)
    found_running, found_after = leaks(while_running, CORPUS), leaks(file_bytes(db), CORPUS)
    print(
        f"\nSQLite: {len(CORPUS)} messages sent, {len(forbidden(CORPUS))} forbidden strings looked for, "
        f"found while running: {len(found_running)}, after stop: {len(found_after)}"
    )
    assert found_running == [] and found_after == []


def test_the_server_log_holds_no_personal_data_either(sqlite_corpus):
    *_, log = sqlite_corpus
    assert leaks(log, CORPUS) == []


def test_each_item_was_replaced_by_its_placeholder(sqlite_corpus):
    db, sent, _, _ = sqlite_corpus
    engine = sa.create_engine(f"sqlite:///{db}", future=True)
    stored = stored_user_texts(engine)
    engine.dispose()
    assert stored == {s: [redact(t)[0] for t in texts] for s, texts in sent.conversations.items()}
    redacted = count_placeholders(t for texts in stored.values() for t in texts)
    print(f"\nSQLite: items redacted {redacted} (expected {EXPECTED_PLACEHOLDERS})")
    assert redacted == EXPECTED_PLACEHOLDERS


def test_the_redacted_conversations_replay(sqlite_corpus, domain):
    db, sent, _, _ = sqlite_corpus
    with mock.patch.dict(os.environ, {}, clear=False):
        os.environ.pop(DATABASE_URL_ENV, None)
        store = ClinicTrackerStore(domain=Domain.from_dict(domain), sqlite_path=str(db))
    for sender, texts in sent.conversations.items():
        tracker = asyncio.run(store.retrieve_full_tracker(sender))
        users = [e for e in tracker.events if e.type_name == "user"]
        assert [e.text for e in users] == [redact(t)[0] for t in texts]
        assert all(e.intent_name for e in users)
        # Every message is followed by the bot's answer, as it happened.
        answers = [
            e.action_name for e in tracker.events if e.type_name == "action" and e.action_name.startswith("utter_")
        ]
        assert len(answers) == len(texts)
        assert tracker.latest_message.text == redact(texts[-1])[0]
    store.engine.dispose()


@pytest.fixture(scope="module")
def postgres_corpus(root, model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pii-postgres")
    with temporary_database() as url:
        with LocalBot(
            model_path, cwd=root, env={DATABASE_URL_ENV: url}, action_server=False, log_path=tmp / "server.log"
        ) as bot:
            sent = send_corpus(bot.send, CORPUS)
        engine = sa.create_engine(url, future=True)
        stored, rows = stored_user_texts(engine), all_rows_as_bytes(engine)
        engine.dispose()
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["report", "--format", "json", "--db", url]) == 0
        yield sent, stored, rows, json.loads(out.getvalue())


def test_no_personal_data_in_postgresql(postgres_corpus):
    sent, stored, rows, _ = postgres_corpus
    assert sent.unanswered == []
    found = leaks(rows, CORPUS)
    redacted = count_placeholders(t for texts in stored.values() for t in texts)
    print(f"\nPostgreSQL: {len(CORPUS)} messages sent, items redacted {redacted}, items found {len(found)}")
    assert found == []
    assert stored == {s: [redact(t)[0] for t in texts] for s, texts in sent.conversations.items()}
    assert redacted == EXPECTED_PLACEHOLDERS


def test_the_report_reads_postgresql(postgres_corpus):
    sent, _, _, figures = postgres_corpus
    assert figures["totals"]["conversations"] == len(sent.conversations)
    assert figures["totals"]["messages"] == len(CORPUS)


# -- the staff report on real conversations ------------------------------------------------

# (message, the response it must get); feedback taps are the buttons' payloads.
SCRIPT = {
    "p1": [
        ("hello", "utter_greet"),
        ("what is bdnf", "utter_topic_bdnf"),
        ("/feedback_helpful", "utter_feedback_helpful"),
        ("what does ketamine do to nmda receptors", "utter_topic_nmda_receptors"),
        ("/feedback_not_helpful", "utter_feedback_not_helpful"),
    ],
    "p2": [
        ("should i stop my lexapro before ketamine", "utter_safety"),
        ("/save_question_for_provider", "utter_question_saved"),
        ("how much is one infusion", "utter_out_of_scope"),
        ("how much does an infusion cost", "utter_out_of_scope"),
        ("can you send the price list to jane.doe@example.com", "utter_out_of_scope"),
    ],
    "p3": [
        ("i want to kill myself", "utter_crisis:suicide"),
        ("what is glutamate", "utter_topic_glutamate"),
        ("/feedback_helpful", "utter_feedback_helpful"),
    ],
    "p4": [
        ("is ketamine safe for me if i have high blood pressure", "utter_safety"),
        ("/save_question_for_provider", "utter_question_saved"),
        ("/save_question_for_provider", "utter_question_saved"),
        ("do you take insurance", "utter_out_of_scope"),
        ("what is bdnf", "utter_topic_bdnf"),
        ("/feedback_helpful", "utter_feedback_helpful"),
        ("what is bdnf", "utter_topic_bdnf"),
    ],
}


@pytest.fixture(scope="module")
def report_store(root, model_path, rendered, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    db = tmp / "conversations.db"
    run = uuid.uuid4().hex[:6]
    with LocalBot(
        model_path,
        cwd=root,
        env={DATABASE_URL_ENV: f"sqlite:///{db}"},
        action_server=False,
        log_path=tmp / "server.log",
    ) as bot:
        for patient, turns in SCRIPT.items():
            for text, response in turns:
                replies = bot.send(f"{patient}-{run}", text)
                # After the crisis response, answers also end with the crisis reminder.
                assert replies and replies[0]["text"].startswith(rendered[response]), (text, replies)
    return f"sqlite:///{db}", tmp


def report_json(url, *extra):
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["report", "--format", "json", "--db", url, *extra]) == 0
    return json.loads(out.getvalue())


def test_report_figures_are_exact(report_store):
    url, _ = report_store
    f = report_json(url, "--since", "7")
    assert f["totals"] == {
        "conversations": 4,
        "messages": 13,
        "topic_questions": 5,
        "unanswered": 4,
        "unanswered_share": round(4 / 13, 4),
        "safety_responses": 2,
        "crisis_responses": 1,
        "feedback_helpful": 3,
        "feedback_not_helpful": 1,
        "patients_saving_questions": 2,  # p4 saved two: a count of patients, and taps are not messages
    }
    today = [d for d in f["per_day"] if d["messages"]]
    assert len(today) == 1 and len(f["per_day"]) == 8  # the 7 days before today, and today
    assert today[0] | {"date": None} == {
        "date": None,
        "conversations": 4,
        "messages": 13,
        "unanswered": 4,
        "safety_responses": 2,
        "crisis_responses": 1,
    }
    assert f["questions_per_topic"] == {"topic_bdnf": 3, "topic_glutamate": 1, "topic_nmda_receptors": 1}
    assert f["feedback_per_topic"] == {
        "topic_bdnf": {"helpful": 2, "not_helpful": 0},
        "topic_glutamate": {"helpful": 1, "not_helpful": 0},
        "topic_nmda_receptors": {"helpful": 0, "not_helpful": 1},
    }
    # "price list" is about cost too: the three cost questions form one group.
    assert f["unanswered_groups"] == [
        {
            "label": "cost, infusion, list",
            "count": 3,
            "texts": [
                {"text": "can you send the price list to [EMAIL]", "count": 1},
                {"text": "how much does an infusion cost", "count": 1},
                {"text": "how much is one infusion", "count": 1},
            ],
        },
        {"label": "insurance, take", "count": 1, "texts": [{"text": "do you take insurance", "count": 1}]},
    ]


def test_report_html_is_one_self_contained_file(report_store):
    url, tmp = report_store
    out = tmp / "report.html"
    assert main(["report", "--out", str(out), "--db", url]) == 0
    html = out.read_text(encoding="utf-8")
    assert re.findall(r"""(?:src|href)\s*=\s*(?!["']?data:)""", html, re.I) == []
    assert "http://" not in html and "https://" not in html and "@import" not in html
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', html)) == 5
    assert "jane.doe" not in html and "can you send the price list to [EMAIL]" in html
