import asyncio

from bot.storage.dedupe import EventDeduper


async def test_a_retried_event_is_a_duplicate(redis, keys) -> None:
    deduper = EventDeduper(redis, keys)
    assert await deduper.first_time("slack", "Ev01")
    assert not await deduper.first_time("slack", "Ev01")
    assert await deduper.first_time("slack", "Ev02")
    assert await deduper.first_time("discord", "Ev01")


async def test_processes_racing_on_one_retry_agree_on_a_single_winner(new_client, redis, keys) -> None:
    # Four processes behind a load balancer.
    dedupers = [EventDeduper(await new_client(), keys) for _ in range(4)]
    claims = await asyncio.gather(*(dedupers[i % 4].first_time("slack", "Ev99") for i in range(40)))
    assert claims.count(True) == 1


async def test_claims_expire_so_memory_does_not_grow(redis, keys) -> None:
    deduper = EventDeduper(redis, keys, ttl_s=120)
    await deduper.first_time("slack", "Ev01")
    assert 0 < await redis.ttl(keys.dedupe("slack", "Ev01")) <= 120
