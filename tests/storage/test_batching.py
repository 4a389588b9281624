"""Commits ready at the same moment share one pipeline, each caller still getting its own answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.storage.batching import FLUSH_AT, Autopipeline, ScriptBatcher
from tests.redis_tools import watch_round_trips

INCR_LIST = "redis.call('RPUSH', KEYS[1], ARGV[1]); return redis.call('LLEN', KEYS[1])"


def sizes(trips: list[list[str]]) -> list[int]:
    return [len(trip) for trip in trips]


async def test_calls_made_together_go_out_as_one_pipeline_with_each_reply_to_its_caller(redis) -> None:
    batcher = ScriptBatcher(redis, INCR_LIST)
    assert await batcher(keys=["list:{first}"], args=["x"]) == 1  # the server learns the script
    trips = watch_round_trips(redis)
    calls = FLUSH_AT - 1  # fewer than send a batch early: they all wait for the end of the turn
    replies = await asyncio.wait_for(
        asyncio.gather(*(batcher(keys=[f"list:{{{n % 3}}}"], args=[str(n)]) for n in range(calls))), 10
    )
    assert replies == [n // 3 + 1 for n in range(calls)]
    assert sizes(trips) == [calls]
    assert await redis.lrange("list:{2}", 0, -1) == [str(n).encode() for n in range(2, calls, 3)]


async def test_more_calls_than_a_batch_holds_go_out_in_several_writes_each_caller_in_order(redis) -> None:
    pipeline = Autopipeline(redis)
    script = ScriptBatcher(redis, INCR_LIST, pipeline)
    assert await script(keys=["list:{first}"], args=["x"]) == 1  # the server learns the script
    # Connections open before the batches leave, so each is written the moment it is sent.
    await asyncio.gather(*(redis.ping() for _ in range(3)))
    trips = watch_round_trips(redis)
    callers = 3 * FLUSH_AT + 2

    async def caller(n: int) -> list[Any]:
        # Each awaits its reply before its next call, as the store's callers do.
        return [
            await script(keys=[f"list:{{{n}}}"], args=[f"{n}a"]),
            await pipeline.command("LINDEX", f"list:{{{n}}}", -1),
            await script(keys=[f"list:{{{n}}}"], args=[f"{n}b"]),
        ]

    replies = await asyncio.wait_for(asyncio.gather(*(caller(n) for n in range(callers))), 10)
    assert replies == [[1, f"{n}a".encode(), 2] for n in range(callers)]
    # The first calls of all callers were ready in one loop turn: the first `FLUSH_AT` left at
    # once, for Redis to start on; with that batch out, the rest waited for the end of the turn.
    assert sizes(trips)[:2] == [FLUSH_AT, callers - FLUSH_AT]
    assert sum(sizes(trips)) == 3 * callers
    for n in (0, callers - 1):
        assert await redis.lrange(f"list:{{{n}}}", 0, -1) == [f"{n}a".encode(), f"{n}b".encode()]


def test_a_pipeline_must_send_at_least_one_call_at_a_time(redis) -> None:
    with pytest.raises(ValueError, match="flush_at"):
        Autopipeline(redis, flush_at=0)


async def test_one_failing_call_does_not_fail_the_others(redis) -> None:
    await redis.set("list:{bad}", "not a list")
    batcher = ScriptBatcher(redis, INCR_LIST)
    keys = ["list:{a}", "list:{bad}", "list:{b}"]
    replies = await asyncio.wait_for(
        asyncio.gather(*(batcher(keys=[key], args=["x"]) for key in keys), return_exceptions=True), 10
    )
    assert replies[0] == 1 and replies[2] == 1
    assert isinstance(replies[1], ResponseError) and "WRONGTYPE" in str(replies[1])


async def test_a_server_that_forgot_the_script_is_given_it_again(redis) -> None:
    batcher = ScriptBatcher(redis, INCR_LIST)
    assert await batcher(keys=["list:{a}"], args=["x"]) == 1
    await redis.script_flush()  # as after a restart or a failover
    replies = await asyncio.wait_for(
        asyncio.gather(*(batcher(keys=[key], args=["x"]) for key in ("list:{a}", "list:{b}", "list:{c}"))), 10
    )
    assert replies == [2, 1, 1]


async def test_a_lone_call_is_sent_on_its_own(redis) -> None:
    batcher = ScriptBatcher(redis, INCR_LIST)
    assert await batcher(keys=["list:{a}"], args=["x"]) == 1  # the server learns the script
    trips = watch_round_trips(redis)
    assert await batcher(keys=["list:{a}"], args=["y"]) == 2
    assert await batcher(keys=["list:{a}"], args=["z"]) == 3
    assert sizes(trips) == [1, 1]


async def test_replies_that_do_not_come_in_time_fail_the_whole_batch_and_the_client_recovers(
    redis_url,
) -> None:
    client = Redis.from_url(redis_url, socket_timeout=0.3)
    pipeline = Autopipeline(client)
    # BLPOP on an empty list holds its reply for 2 s: longer than the client waits.
    replies = await asyncio.wait_for(
        asyncio.gather(
            pipeline.command("BLPOP", "empty:{list}", 2),
            pipeline.command("SET", "other:{key}", "1"),
            return_exceptions=True,
        ),
        10,
    )
    assert all(isinstance(reply, RedisTimeoutError) for reply in replies)
    # The timed-out connection is dropped, not reused with replies still owed on it.
    assert await pipeline.command("SET", "next:{key}", "2") is True  # SET's reply, as redis-py gives it
    assert await pipeline.command("GET", "next:{key}") == b"2"
    await client.aclose()


async def test_a_dead_server_fails_every_waiting_call_instead_of_leaving_it_hanging(tmp_path) -> None:
    from bot.storage.client import connect
    from bot.storage.embedded import EmbeddedRedis

    server = EmbeddedRedis(tmp_path, persistent=False)
    client = await connect(server.start())
    batcher = ScriptBatcher(client, INCR_LIST)
    assert await batcher(keys=["list:{a}"], args=["x"]) == 1
    server.stop()
    replies = await asyncio.wait_for(
        asyncio.gather(
            *(batcher(keys=[f"list:{{{n}}}"], args=["x"]) for n in range(6)), return_exceptions=True
        ),
        30,
    )
    assert all(isinstance(reply, Exception) for reply in replies)
    await client.aclose()


async def test_plain_commands_join_the_scripts_of_the_same_moment_each_with_its_reply(redis) -> None:
    await redis.set("plain:{bad}", "not a set")
    pipeline = Autopipeline(redis)
    script = ScriptBatcher(redis, INCR_LIST, pipeline)
    assert await script(keys=["list:{first}"], args=["x"]) == 1  # the server learns the script
    trips = watch_round_trips(redis)
    replies = await asyncio.wait_for(
        asyncio.gather(
            script(keys=["list:{a}"], args=["x"]),
            pipeline.command("ZADD", "open:{turns}", "12.5", "learner-1"),
            pipeline.command("SADD", "plain:{bad}", "u1"),
            pipeline.command("HMGET", "missing:{m}", "rev", "data"),
            return_exceptions=True,
        ),
        10,
    )
    assert replies[0] == 1 and replies[1] == 1 and replies[3] == [None, None]
    assert isinstance(replies[2], ResponseError) and "WRONGTYPE" in str(replies[2])
    assert sizes(trips) == [4]
    assert await redis.zscore("open:{turns}", "learner-1") == 12.5


async def test_a_small_pool_is_left_for_the_clients_other_commands(redis_url) -> None:
    """A pipeline keeps connections between its batches only from a pool with plenty of them:
    from a pool of two it keeps none, and the client's own commands never wait for one."""
    from bot.storage.client import connect

    client = await connect(redis_url, max_connections=2)
    pipeline = Autopipeline(client, flush_at=1)
    # The first batch leaves at once; the second, while it is out, at the end of the turn:
    # two batches out at the same time, on both of the pool's connections.
    replies = await asyncio.wait_for(
        asyncio.gather(pipeline.command("SET", "small:{a}", "1"), pipeline.command("SET", "small:{b}", "2")),
        10,
    )
    assert replies == [True, True]
    assert await asyncio.wait_for(client.mget("small:{a}", "small:{b}"), 5) == [b"1", b"2"]
    await client.aclose()
