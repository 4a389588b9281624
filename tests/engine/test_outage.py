"""Redis going away: every learner is answered, and the log stays small."""

from __future__ import annotations

import logging


async def test_log_volume_stays_small_through_a_redis_outage(module, tmp_path, caplog) -> None:
    import redis.asyncio as aioredis

    from bot.advisor.offline import OfflineAdvisor
    from bot.engine.engine import Engine
    from bot.storage.embedded import EmbeddedRedis
    from bot.storage.keys import KeyBuilder
    from bot.storage.redis_store import RedisLearnerStore
    from tests.engine.driver import Learner

    server = EmbeddedRedis(tmp_path, persistent=False)
    client = aioredis.from_url(server.start())
    engine = Engine(module, RedisLearnerStore(client, KeyBuilder("t")), OfflineAdvisor())
    learners = [Learner(engine, user=f"u{i}") for i in range(20)]
    for learner in learners:
        await learner.command("start")
    server.stop()
    with caplog.at_level(logging.INFO):
        for _ in range(10):
            for learner in learners:
                await learner.command("resume")
                assert learner.notices()  # every learner is still answered
    written = sum(len(r.getMessage()) + len(r.exc_text or "") for r in caplog.records)
    assert len(caplog.records) <= 2, [r.getMessage() for r in caplog.records]
    assert written < 2_000
    await client.aclose()
