"""Rate limits shared by the instances through Redis (bot/scale/shared_limits.py), on a real Redis."""

from __future__ import annotations

import asyncio

import pytest

from bot.scale.redis_state import RedisState, redis_client
from bot.scale.shared_limits import SharedLimiter
from redis_server import free_port, redis_server


@pytest.fixture(scope="module")
def redis():
    with redis_server() as server:
        yield server


def instance(url: str, limit: int) -> SharedLimiter:
    """One instance's limiter: its own client and its own view of Redis."""
    state = RedisState("rate_limit", timeout_seconds=0.2, retry_seconds=5)
    return SharedLimiter(redis_client(url, state.timeout), state, "address", limit, window_seconds=60)


def test_two_instances_share_one_limit(redis):
    async def scenario() -> list:
        a, b = instance(redis.url, 5), instance(redis.url, 5)
        answers = []
        for limiter in (a, b, a, b, a, b, a):
            answers.append(await limiter.retry_after("203.0.113.7"))
        answers.append(await b.retry_after("198.51.100.2"))  # another patient is not affected
        return answers

    answers = asyncio.run(scenario())
    assert answers[:5] == [None] * 5
    assert all(isinstance(wait, int) and 1 <= wait <= 60 for wait in answers[5:7])
    assert answers[7] is None


def test_redis_never_sees_an_address(redis):
    async def scenario() -> list:
        limiter = instance(redis.url, 5)
        await limiter.retry_after("203.0.113.99")
        keys = await limiter.client.keys("*")
        values = []
        for key in keys:
            kind = await limiter.client.type(key)
            if kind == b"zset":
                values += await limiter.client.zrange(key, 0, -1)
        return [k.decode() for k in keys] + [v.decode() for v in values]

    stored = asyncio.run(scenario())
    assert stored and not any("203.0.113" in item for item in stored)


def test_without_redis_each_instance_applies_its_own_limit():
    async def scenario() -> tuple:
        limiter = instance(f"redis://127.0.0.1:{free_port()}/0", 3)
        answers = [await limiter.retry_after("203.0.113.7") for _ in range(4)]
        return answers, limiter.redis.health("limits are per instance")

    answers, health = asyncio.run(scenario())
    assert answers[:3] == [None] * 3 and isinstance(answers[3], int)
    assert health["status"] == "degraded" and "per instance" in health["redis"]
