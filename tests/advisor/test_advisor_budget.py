from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import redis.asyncio as aioredis

from bot.advisor.base import Usage
from bot.advisor.budget import DAY_TTL_SECONDS, PRICES, BudgetGuard
from bot.domain.events import Actor
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder
from tests.redis_tools import all_keys

ALICE = Actor(platform="slack", tenant="T100", user="U1")
BOB = Actor(platform="slack", tenant="T100", user="U2")
CAROL = Actor(platform="discord", tenant="G5", user="U1")
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def redis(redis_any: AsyncRedis) -> AsyncRedis:
    """Budget keys span slots (learner, tenant): every test runs on a single server and a cluster."""
    return redis_any


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def guard(
    redis: aioredis.Redis, learner: int = 1000, tenant: int = 1500, clock: Clock | None = None
) -> BudgetGuard:
    return BudgetGuard(redis, KeyBuilder("tutorbot"), learner, tenant, clock=clock or Clock(NOON))


async def test_keys_are_hash_tagged_per_learner_and_tenant_with_the_utc_day(redis: aioredis.Redis) -> None:
    budget = guard(redis)
    await budget.record(ALICE, "lab-ml-engineer", Usage(input_tokens=10))
    keys = sorted(k.decode() for k in await all_keys(redis))
    assert keys == [
        "tutorbot:{slack:T100:U1}:tokens:20261127",
        "tutorbot:{slack:T100:U1}:usage",
        "tutorbot:{slack:T100}:tokens:20261127",
    ]
    for key in ("tutorbot:{slack:T100:U1}:tokens:20261127", "tutorbot:{slack:T100}:tokens:20261127"):
        assert 0 < await redis.ttl(key) <= DAY_TTL_SECONDS


async def test_the_day_is_utc(redis: aioredis.Redis) -> None:
    late_evening_in_new_york = datetime(2026, 11, 27, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    budget = guard(redis, clock=Clock(late_evening_in_new_york))
    assert budget.today() == "20261128"


async def test_every_kind_of_token_counts(redis: aioredis.Redis) -> None:
    budget = guard(redis)
    await budget.record(
        ALICE,
        "lab-ml-engineer",
        Usage(input_tokens=100, output_tokens=50, cache_read_tokens=700, cache_write_tokens=20),
    )
    assert await budget.spent_today(ALICE) == (870, 870)


async def test_a_learner_over_budget_is_refused_but_others_are_not(redis: aioredis.Redis) -> None:
    budget = guard(redis, learner=1000, tenant=10_000)
    assert await budget.allowed(ALICE)
    await budget.record(ALICE, "lab-ml-engineer", Usage(input_tokens=999))
    assert await budget.allowed(ALICE)
    await budget.record(ALICE, "lab-ml-engineer", Usage(output_tokens=1))
    assert not await budget.allowed(ALICE)
    assert await budget.allowed(BOB)


async def test_a_tenant_over_budget_refuses_all_its_learners_only(redis: aioredis.Redis) -> None:
    budget = guard(redis, learner=1000, tenant=1500)
    await budget.record(ALICE, "lab-ml-engineer", Usage(input_tokens=800))
    await budget.record(BOB, "lab-ml-engineer", Usage(input_tokens=800))
    assert not await budget.allowed(ALICE)
    assert not await budget.allowed(BOB)
    assert await budget.allowed(CAROL)  # another platform's tenant


async def test_budgets_reset_the_next_day(redis: aioredis.Redis) -> None:
    clock = Clock(NOON)
    budget = guard(redis, clock=clock)
    await budget.record(ALICE, "lab-ml-engineer", Usage(input_tokens=5000))
    assert not await budget.allowed(ALICE)
    clock.now = NOON + timedelta(days=1)
    assert await budget.allowed(ALICE)


async def test_usage_per_learner_and_lab_with_estimated_cost(redis: aioredis.Redis) -> None:
    budget = guard(redis, learner=10**9, tenant=10**9)
    await budget.record(
        ALICE,
        "lab-ml-engineer",
        Usage(input_tokens=1000, output_tokens=400, cache_read_tokens=2000, cache_write_tokens=0),
    )
    await budget.record(
        ALICE,
        "lab-ml-engineer",
        Usage(input_tokens=1000, output_tokens=600, cache_read_tokens=0, cache_write_tokens=2000),
    )
    await budget.record(ALICE, "lab-data-scientist:2", Usage(input_tokens=10, output_tokens=10))

    usage = await budget.usage(ALICE)
    ml = usage["labs"]["lab-ml-engineer"]
    assert (ml["input"], ml["output"], ml["cache_read"], ml["cache_write"], ml["requests"]) == (
        2000,
        1000,
        2000,
        2000,
        2,
    )
    # haiku: $0.10/M in, $0.50/M out, $0.01/M cache read, $0.125/M cache write (in micro-dollars):
    # 2000*0.1 + 1000*0.5 + 2000*0.01 + 2000*0.125 = 200 + 500 + 20 + 250
    assert ml["cost_micro_usd"] == 970
    assert usage["labs"]["lab-data-scientist:2"]["requests"] == 1  # a lab id holding ":" survives
    assert usage["learner_tokens_today"] == 2000 + 1000 + 2000 + 2000 + 20
    assert usage["tenant_tokens_today"] == usage["learner_tokens_today"]
    assert usage["day"] == "20261127"
    assert (
        usage["cost_micro_usd"]
        == ml["cost_micro_usd"] + usage["labs"]["lab-data-scientist:2"]["cost_micro_usd"]
    )


async def test_costs_of_many_learners_come_in_one_read(redis: aioredis.Redis) -> None:
    budget = guard(redis, learner=10**9, tenant=10**9)
    await budget.record(ALICE, "lab-a", Usage(input_tokens=1000, output_tokens=400))
    await budget.record(ALICE, "lab-b", Usage(input_tokens=1000))
    await budget.record(CAROL, "lab-a", Usage(output_tokens=2000))
    assert await budget.costs([ALICE, BOB, CAROL]) == [
        (await budget.usage(ALICE))["cost_micro_usd"],
        0,
        (await budget.usage(CAROL))["cost_micro_usd"],
    ]
    assert await budget.costs([CAROL]) == [1000]  # 2000 output tokens at $0.50/M


async def test_a_learner_with_no_usage_has_an_empty_report(redis: aioredis.Redis) -> None:
    usage = await guard(redis).usage(BOB)
    assert usage["labs"] == {} and usage["learner_tokens_today"] == 0 and usage["cost_micro_usd"] == 0


def test_cache_write_costs_a_quarter_more_than_input() -> None:
    haiku = PRICES["claude-haiku-5-5"]
    assert haiku.cache_write == 1.25 * haiku.input
    assert haiku.nano_usd(Usage(input_tokens=1_000_000)) == 100_000_000  # $0.10
