"""Cohort keys: one slot per cohort, and erased with their tenant."""

from __future__ import annotations

from redis.crc import key_slot

from bot.forget import forget_tenant
from bot.storage.keys import KeyBuilder
from tests.cohorts.conftest import KEYS, World, admin

keys = KeyBuilder()


def test_a_cohorts_keys_share_one_slot_and_look_as_documented() -> None:
    cohort_keys = [
        keys.cohort("slack", "T1", "spring"),
        keys.roster("slack", "T1", "spring"),
        keys.facilitators("slack", "T1", "spring"),
        keys.audit("slack", "T1", "spring"),
        keys.pending("slack", "T1", "spring", "abc123"),
    ]
    assert keys.roster("slack", "T1", "spring") == "tutorbot:{cohort:slack:T1:spring}:roster"
    assert len({key_slot(key.encode()) for key in cohort_keys}) == 1


async def test_forgetting_a_tenant_erases_its_cohorts(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    other = admin(tenant="T2")
    await world.say(other, "create spring")
    await forget_tenant(world.store.client, KEYS, "slack", "T1", erase=True)
    assert await world.store.get(boss.home, "spring") is None
    assert await world.store.roster(boss.home, "spring") == []
    assert await world.store.names(boss.home) == []
    assert await world.store.get(other.home, "spring") is not None
