"""The nudge sweep's round: every tenant that has a cohort, on either platform, in its own slot;
a cohort made before the round existed joins it when it is next saved."""

from __future__ import annotations

from bot.cohorts.models import Cohort, CohortSettings, Tenant
from bot.cohorts.store import CohortStore
from bot.storage.client import AsyncRedis
from tests.nudges.conftest import KEYS

SLACK = Tenant(platform="slack", tenant="T1")
DISCORD = Tenant(platform="discord", tenant="700000000000000001")


def cohort(name: str) -> Cohort:
    return Cohort(
        name=name,
        created_by="UADMIN",
        created_at=0.0,
        settings=CohortSettings(test_attempts=3, cooldown_minutes=0),
    )


async def test_every_tenant_with_a_cohort_is_on_the_round_once(redis_any: AsyncRedis) -> None:
    store = CohortStore(redis_any, KEYS)
    assert await store.tenants() == []
    await store.create(SLACK, cohort("spring"))
    await store.create(SLACK, cohort("autumn"))
    await store.create(DISCORD, cohort("spring"))
    assert await store.tenants() == [DISCORD, SLACK]


async def test_a_cohort_from_before_the_round_joins_it_when_saved(redis_any: AsyncRedis) -> None:
    store = CohortStore(redis_any, KEYS)
    await store.create(SLACK, cohort("spring"))
    await redis_any.delete(KEYS.cohort_tenants())  # as a deployment made before the round had it
    assert await store.tenants() == []
    await store.save(SLACK, cohort("spring"))  # a `/cohort policy` change, say
    assert await store.tenants() == [SLACK]
