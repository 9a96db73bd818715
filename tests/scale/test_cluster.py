"""The scale-out profile for real: two Rasa instances behind haproxy, PostgreSQL, Redis.

The cluster runs the same processes and haproxy configuration as `python -m bot cluster`
(tools/localcluster.py). Needs haproxy, redis-server and a PostgreSQL server; skips without.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import List, Optional

import pytest
import sqlalchemy as sa

from tools.localcluster import LocalCluster

pytestmark = pytest.mark.slow

QUESTIONS = ["what is bdnf", "what is glutamate", "how is ketamine different", "what is synaptogenesis"]


@pytest.fixture
def cluster(clinic_cluster):
    return clinic_cluster


@pytest.fixture
def redis(cluster_redis):
    return cluster_redis


@pytest.fixture
def database(cluster_database):
    return cluster_database


def post(port: int, path: str, body: dict, source: str = "127.0.0.1", timeout: float = 30) -> tuple:
    """(status, JSON body) of a POST from the given local address."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
        # haproxy's own error pages are HTML.
        return r.status, json.loads(body) if "json" in (r.getheader("Content-Type") or "") else body.decode()
    finally:
        conn.close()


def stored_user_texts(database: str, sender: str) -> List[str]:
    engine = sa.create_engine(database, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"), {"s": sender}
        ).fetchall()
    engine.dispose()
    return [json.loads(d)["text"] for (d,) in rows]


def test_the_balancer_gives_article_answers_and_the_safety_response(cluster, rendered):
    sender = uuid.uuid4().hex
    assert cluster.send(sender, "what is bdnf")[0]["text"].startswith(rendered["utter_topic_bdnf"])
    assert cluster.send(sender, "can I take it with my zoloft")[0]["text"] == rendered["utter_safety"]


def test_rate_limits_are_the_same_on_every_instance(cluster):
    sender = uuid.uuid4().hex  # the clinic channel's limit: 20 messages a minute per conversation
    ports = [int(cluster.instance_url(n).rsplit(":", 1)[1]) for n in cluster.instance_names()]
    statuses = [
        post(ports[i % 2], "/webhooks/clinic/webhook", {"sender": sender, "message": "hi"})[0] for i in range(20)
    ]
    assert statuses == [200] * 20
    assert post(ports[0], "/webhooks/clinic/webhook", {"sender": sender, "message": "hi"})[0] == 429
    assert post(ports[1], "/webhooks/clinic/webhook", {"sender": sender, "message": "hi"})[0] == 429


@dataclass
class Turn:
    sender: str
    text: str
    started: float
    ended: float
    status: Optional[int]  # None: no answer at all (connection dropped, timeout)


def patients(cluster: LocalCluster, count: int, stop: threading.Event, turns: List[Turn]) -> List[threading.Thread]:
    """`count` patients from distinct addresses (127.0.0.x), each asking numbered questions in
    turn, 0.2 s after each answer."""

    def patient(i: int) -> None:
        sender, source, n = uuid.uuid4().hex, f"127.0.0.{10 + i}", 0
        while not stop.is_set():
            n += 1
            text = f"{QUESTIONS[n % len(QUESTIONS)]} number {n}"
            started = time.monotonic()
            try:
                status = post(cluster.port, "/webhooks/rest/webhook", {"sender": sender, "message": text}, source)[0]
            except (OSError, http.client.HTTPException, ValueError):
                status = None
            turns.append(Turn(sender, text, started, time.monotonic(), status))
            stop.wait(0.2)  # a patient reads the answer before typing the next question

    return [threading.Thread(target=patient, args=(i,), daemon=True) for i in range(count)]


def test_faults_lose_no_acknowledged_message(cluster, redis, database):
    """One timeline under the load of 10 patients: PostgreSQL's connections killed at 8 s, Redis
    paused from 13 s to 18 s, an instance killed with SIGKILL at 30 s and started again at 60 s,
    then the other one stopped with SIGTERM once the first is back."""
    turns: List[Turn] = []
    stop = threading.Event()
    threads = patients(cluster, 10, stop, turns)
    first, second = cluster.instance_names()
    marks = {}
    start = time.monotonic()

    def at(second: float) -> None:
        time.sleep(max(0.0, start + second - time.monotonic()))

    for t in threads:
        t.start()
    try:
        at(8)
        marks["postgres"] = time.monotonic()
        admin = sa.create_engine(database, future=True, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        admin.dispose()
        marks["postgres_done"] = time.monotonic()
        assert killed >= 2, "both instances had connections open"
        at(13)
        marks["redis"] = time.monotonic()
        redis.pause()
        at(18)
        redis.resume()
        at(30)
        marks["kill"] = time.monotonic()
        cluster.kill(first)
        # Dying takes a moment (the kernel closes the sockets of a 600 MB process): a request
        # sent to it meanwhile is in flight on it too.
        marks["killed"] = time.monotonic()
        at(60)
        marks["restart"] = time.monotonic()
        cluster.start_child(first)
        cluster.wait_healthy(first, timeout=120)
        time.sleep(3)  # haproxy sees it up (2 checks, 1 s apart)
        marks["sigterm"] = time.monotonic()
        cluster.terminate(second)
        time.sleep(5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        cluster.start_child(second)
        cluster.wait_healthy(second, timeout=120)

    # Redis paused: nobody waited on it. Every turn that started while it was paused got its
    # answer well within the 5 s pause, p99 included (usually under a second; the margin is
    # for a 2-core machine busy with the other tiers' servers, where p99 reached 1.1 s).
    during_pause = sorted(t.ended - t.started for t in turns if marks["redis"] <= t.started < marks["redis"] + 5)
    assert during_pause and during_pause[int(len(during_pause) * 0.99)] < 2.0

    # SIGKILL: every conversation answers again within 3 s.
    recovered = []
    for sender in {t.sender for t in turns}:
        after = [t for t in turns if t.sender == sender and t.started >= marks["kill"] and t.status == 200]
        assert after, sender
        recovered.append(after[0].ended - marks["kill"])
    assert max(recovered) < 3.0, recovered

    def in_flight_at_kill(t: Turn) -> bool:
        return t.started <= marks["killed"] and t.ended >= marks["kill"]

    # SIGTERM: nothing lost, not even what was in flight when the stop began.
    lost = [t for t in turns if t.status != 200]
    in_flight = [t for t in turns if in_flight_at_kill(t)]
    print(
        f"\n{len(turns)} turns, {len(lost)} unanswered ({sum(in_flight_at_kill(t) for t in lost)} of the "
        f"{len(in_flight)} in flight at the SIGKILL); answered again {max(recovered):.2f} s after it at worst; "
        f"p99 while Redis was paused {1000 * during_pause[int(len(during_pause) * 0.99)]:.0f} ms"
    )
    assert not [t for t in lost if t.ended >= marks["sigterm"]], "a graceful stop loses nothing"

    # The only answers lost at all are the ones in flight at the SIGKILL or when the
    # database's connections were killed (a read cut off mid-query is answered 503).
    for t in lost:
        when = {k: round(v - start, 2) for k, v in marks.items()}
        seen = (round(t.started - start, 2), round(t.ended - start, 2), t.status)
        in_flight_at_postgres_kill = t.started <= marks["postgres_done"] and t.ended >= marks["postgres"]
        assert in_flight_at_kill(t) or in_flight_at_postgres_kill, (seen, when)

    # Every acknowledged message is stored once, in order, in PostgreSQL.
    for sender in {t.sender for t in turns}:
        acknowledged = [t.text for t in turns if t.sender == sender and t.status == 200]
        stored = stored_user_texts(database, sender)
        assert len(stored) == len(set(stored)), f"{sender}: stored twice"
        assert [s for s in stored if s in acknowledged] == acknowledged, f"{sender}: missing or out of order"
        unacknowledged = set(stored) - set(acknowledged)
        assert unacknowledged <= {t.text for t in lost if t.sender == sender}
