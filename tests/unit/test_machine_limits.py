"""Rate limits shared by the worker processes of one machine (BOT_WORKERS=2), in a SQLite file."""

import multiprocessing
import sqlite3

from bot.scale.machine_limits import MachineLimiter


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_two_workers_share_one_limit(tmp_path):
    clock = Clock()
    first, second = (MachineLimiter(tmp_path / "limits.sqlite", "conversation", 3, clock=clock) for _ in range(2))
    answers = [(first if i % 2 else second).retry_after("conv-1") for i in range(5)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == answers[4] == 60  # the oldest counted message leaves the window in 60 s
    # Another conversation, and the same id under another limit, count apart.
    assert first.retry_after("conv-2") is None
    assert MachineLimiter(tmp_path / "limits.sqlite", "address", 3, clock=clock).retry_after("conv-1") is None


def test_a_message_may_go_again_once_the_window_has_passed(tmp_path):
    clock = Clock()
    limiter = MachineLimiter(tmp_path / "limits.sqlite", "conversation", 2, clock=clock)
    assert [limiter.retry_after("c") for _ in range(3)] == [None, None, 60]
    clock.now += 30
    assert limiter.retry_after("c") == 30
    clock.now += 30
    assert limiter.retry_after("c") is None


def test_counts_from_before_a_reboot_do_not_block(tmp_path):
    # CLOCK_MONOTONIC starts again at boot: rows stamped later than now are from before it.
    before = MachineLimiter(tmp_path / "limits.sqlite", "conversation", 1, clock=Clock(5000.0))
    assert before.retry_after("c") is None
    after = MachineLimiter(tmp_path / "limits.sqlite", "conversation", 1, clock=Clock(10.0))
    assert after.retry_after("c") is None


def _hits(args):
    path, n = args
    limiter = MachineLimiter(path, "conversation", 7)
    return [limiter.retry_after("shared-conversation") for _ in range(n)]


def test_processes_hitting_at_once_let_exactly_the_limit_through(tmp_path):
    path = str(tmp_path / "limits.sqlite")
    with multiprocessing.get_context("fork").Pool(4) as pool:
        answers = [a for run in pool.map(_hits, [(path, 10)] * 4) for a in run]
    assert answers.count(None) == 7
    assert all(isinstance(a, int) and a >= 1 for a in answers if a is not None)


def test_the_file_holds_no_address_or_conversation_id(tmp_path):
    path = tmp_path / "limits.sqlite"
    MachineLimiter(path, "address", 5).retry_after("203.0.113.7")
    MachineLimiter(path, "conversation", 5).retry_after("conversation-8f3a")
    stored = b"".join(f.read_bytes() for f in tmp_path.glob("limits.sqlite*"))
    assert b"203.0.113.7" not in stored and b"conversation-8f3a" not in stored
    with sqlite3.connect(path) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM hits")]
    assert len(keys) == 2 and not {"203.0.113.7", "conversation-8f3a"} & set(keys)


def test_an_unusable_file_falls_back_to_this_workers_own_limits(tmp_path, caplog):
    (tmp_path / "not-a-directory").write_text("")
    limiter = MachineLimiter(tmp_path / "not-a-directory" / "limits.sqlite", "conversation", 2)
    assert [limiter.retry_after("c") for _ in range(3)] == [None, None, 60]
    assert sum("machine_file_unavailable" in r.getMessage() for r in caplog.records) == 1
