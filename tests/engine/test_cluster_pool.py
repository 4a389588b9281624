"""A burst of learners larger than the cluster client's connection pool waits for connections:
nobody is told the course is unavailable, and every event is committed."""

from __future__ import annotations

import asyncio

from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.storage.client import connect
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.engine.driver import Learner
from tests.processes import SUITE_REDIS_TIMEOUT_S

POOL = 2
BURST = 40


async def test_a_burst_of_learners_beyond_the_pool_waits_and_every_event_commits(
    redis_cluster_url: str, module: Module
) -> None:
    client = await connect(
        redis_cluster_url, cluster=True, max_connections=POOL, timeout_s=SUITE_REDIS_TIMEOUT_S
    )
    try:
        keys = KeyBuilder("pool-burst")
        store = RedisLearnerStore(client, keys)
        engine = Engine(module, store, OfflineAdvisor())
        learners = [Learner(engine, user=f"burst{n}") for n in range(BURST)]
        await asyncio.gather(*(learner.command("start") for learner in learners))
        await asyncio.gather(*(learner.press("next") for learner in learners))
        for learner in learners:
            assert not learner.notices(), learner.shown[0].blocks
            record = await store.load(learner.actor)
            assert record is not None and record.rev == 2
    finally:
        await client.aclose()


async def test_commands_and_pipelines_beyond_the_pool_wait_for_a_connection(redis_cluster_url: str) -> None:
    client = await connect(
        redis_cluster_url, cluster=True, max_connections=POOL, timeout_s=SUITE_REDIS_TIMEOUT_S
    )
    try:

        async def pipelined(n: int) -> list[object]:
            pipe = client.pipeline(transaction=False)
            for k in range(6):  # keys on every node
                pipe.set(f"pool:{n}:{k}", n)
            return await pipe.execute()

        singles = [client.set(f"pool:{{single}}:{n}", n) for n in range(BURST)]
        replies = await asyncio.gather(*singles, *(pipelined(n) for n in range(BURST)))
        assert replies[:BURST] == [True] * BURST
        assert all(reply == [True] * 6 for reply in replies[BURST:])
        assert await client.get(f"pool:{BURST - 1}:5") == str(BURST - 1).encode()
    finally:
        await client.aclose()
