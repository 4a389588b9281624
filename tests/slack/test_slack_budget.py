"""The per-workspace Web API budget, on a single server and on a Redis Cluster."""

from __future__ import annotations

import asyncio

from bot.adapters.slack.budget import Limit, Priority, SlackBudget
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

FAST = Limit(calls=10, per_s=1.0, burst=4)  # one call per 100 ms, four at once


def budget(redis: AsyncRedis) -> SlackBudget:
    return SlackBudget(redis, KeyBuilder("test"), limits={"chat.update": FAST}, post_per_channel=FAST)


async def test_real_calls_wait_their_turn_and_drafts_give_way(redis_any: AsyncRedis) -> None:
    limits = budget(redis_any)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(4):  # the burst goes at once
        assert await limits.take("T1", "chat.update")
    assert loop.time() - started < 0.2
    # The burst is spent: a draft is refused at once rather than queued...
    assert not await limits.take("T1", "chat.update", priority=Priority.DRAFT)
    # ...a real call waits for its slot...
    assert await limits.take("T1", "chat.update")
    assert loop.time() - started >= 0.05
    # ...or gives up when it may not wait that long.
    assert not await limits.take("T1", "chat.update", max_wait_s=0.01)
    assert limits.skipped == 1 and limits.waited == 1

    # Another workspace has its own budget.
    assert await limits.take("T2", "chat.update", priority=Priority.DRAFT)
    # After a quiet spell drafts may go again, but only within their share of the burst.
    await asyncio.sleep(0.5)
    allowed = [await limits.take("T1", "chat.update", priority=Priority.DRAFT) for _ in range(4)]
    assert allowed == [True, True, False, False]


async def test_posts_are_limited_per_channel(redis_any: AsyncRedis) -> None:
    limits = budget(redis_any)
    for _ in range(4):
        assert await limits.take("T1", "chat.postMessage", channel="D1", max_wait_s=0)
    assert not await limits.take("T1", "chat.postMessage", channel="D1", max_wait_s=0)
    assert await limits.take("T1", "chat.postMessage", channel="D2", max_wait_s=0)
    assert await limits.take("T1", "auth.test")  # no limit known: never held


async def test_processes_share_one_budget(redis_any: AsyncRedis) -> None:
    one, two = budget(redis_any), budget(redis_any)
    results = [await (one if i % 2 else two).take("T1", "chat.update", max_wait_s=0) for i in range(6)]
    assert results.count(True) == 4
