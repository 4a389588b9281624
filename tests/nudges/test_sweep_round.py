"""The nudge sweep's round: every tenant that has a cohort, on either platform, in its own slot;
cohorts made before the round existed are found on its first look."""

from __future__ import annotations

import pytest

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


async def test_cohorts_from_before_the_round_are_found_on_its_first_look(redis_any: AsyncRedis) -> None:
    store = CohortStore(redis_any, KEYS)
    await store.create(SLACK, cohort("spring"))
    await store.create(DISCORD, cohort("spring"))
    # As a deployment made before the round existed: the cohorts, but no round and no mark.
    await redis_any.delete(KEYS.cohort_tenants(), KEYS.cohort_tenants_filled())
    assert await store.tenants() == [DISCORD, SLACK]
    assert await store.tenants() == [DISCORD, SLACK]  # filled once, read since


async def test_a_forgotten_tenant_is_not_put_back_on_the_round(redis_any: AsyncRedis) -> None:
    store = CohortStore(redis_any, KEYS)
    await store.create(SLACK, cohort("spring"))
    await store.create(DISCORD, cohort("spring"))
    assert await store.tenants() == [DISCORD, SLACK]
    await redis_any.srem(KEYS.cohort_tenants(), str(SLACK))  # as `tutorbot forget` does
    assert await store.tenants() == [DISCORD]


async def test_a_cohort_saved_joins_the_round(redis_any: AsyncRedis) -> None:
    store = CohortStore(redis_any, KEYS)
    assert await store.tenants() == []
    await redis_any.set(
        KEYS.cohort(SLACK.platform, SLACK.tenant, "spring"), cohort("spring").model_dump_json()
    )
    assert await store.tenants() == []
    await store.save(SLACK, cohort("spring"))  # a `/cohort policy` change, say
    assert await store.tenants() == [SLACK]


async def test_a_broken_cohort_record_is_passed_over_and_stops_no_other(
    redis_any: AsyncRedis, caplog: pytest.LogCaptureFixture
) -> None:
    store = CohortStore(redis_any, KEYS)
    await store.create(SLACK, cohort("autumn"))
    await store.create(SLACK, cohort("spring"))
    await store.create(DISCORD, cohort("spring"))
    await redis_any.set(KEYS.cohort(SLACK.platform, SLACK.tenant, "autumn"), b"{not json")
    walked = [(tenant, each.name) async for tenant, each in store.every_cohort()]
    assert walked == [(DISCORD, "spring"), (SLACK, "spring")]  # what both sweeps plan
    assert any("autumn" in r.getMessage() and "unreadable" in r.getMessage() for r in caplog.records)
