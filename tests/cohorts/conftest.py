"""Fixtures for the cohort service: the real engine, stores and audit log on the suite's Redis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from bot.advisor.offline import OfflineAdvisor
from bot.cohorts.answers import Answer
from bot.cohorts.audit import AuditLog
from bot.cohorts.directory import Concern, DirectoryRefusal
from bot.cohorts.models import Tenant
from bot.cohorts.rights import Caller, PayloadAdmins, Rights
from bot.cohorts.service import CohortService
from bot.cohorts.store import CohortStore
from bot.course.loader import load_module
from bot.course.models import Module
from bot.domain.outbox import CollectingOutbox
from bot.engine.engine import Engine
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.engine.conftest import COURSE

KEYS = KeyBuilder("test")


@dataclass
class Platform:
    """Stands in for a platform's member lists (channels, roles) in service-level tests; the
    Slack and Discord tests use the real adapters against the fake APIs instead."""

    channels: dict[str, list[str]] = field(default_factory=dict)
    roles: dict[str, list[str]] | None = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    async def channel_members(self, tenant: Tenant, channel: str) -> list[str]:
        return list(self.channels.get(channel, []))

    async def role_members(self, tenant: Tenant, role: str) -> list[str]:
        if self.roles is None:
            raise DirectoryRefusal("Enrolling by role needs the Server Members intent, which is off.")
        return list(self.roles.get(role, []))

    async def display_names(self, tenant: Tenant, users: Sequence[str]) -> dict[str, str]:
        return {user: self.names[user] for user in users if user in self.names}

    async def role_concern(self, tenant: Tenant, role: str) -> Concern | None:
        return None

    async def channel_concern(self, tenant: Tenant, channel: str) -> Concern | None:
        return None


@dataclass
class World:
    service: CohortService
    engine: Engine
    outbox: CollectingOutbox
    store: CohortStore
    learners: RedisLearnerStore
    platform: Platform
    clock: list[float]

    async def say(self, caller: Caller, text: str) -> Answer:
        return await self.service.run_text(caller, text)


def admin(user: str = "UADMIN", tenant: str = "T1") -> Caller:
    return Caller(platform="slack", tenant=tenant, user=user, manages_tenant=True)


def member(user: str, tenant: str = "T1") -> Caller:
    return Caller(platform="slack", tenant=tenant, user=user, manages_tenant=False)


@pytest.fixture(scope="session")
def module() -> Module:
    return load_module(COURSE)


@pytest.fixture
def learner_store(redis: aioredis.Redis) -> RedisLearnerStore:
    return RedisLearnerStore(redis, KEYS)


@pytest.fixture
def make_world(
    redis: aioredis.Redis, module: Module, learner_store: RedisLearnerStore
) -> Callable[..., World]:
    def make(now: float = 1_800_000_000.0) -> World:
        clock = [now]
        engine = Engine(module, learner_store, OfflineAdvisor(), clock=lambda: clock[0])
        store = CohortStore(redis, KEYS)
        outbox = CollectingOutbox()
        platform = Platform()
        service = CohortService(
            store=store,
            audit=AuditLog(redis, KEYS),
            rights=Rights(store, PayloadAdmins()),
            engine=engine,
            directory=platform,
            outbox=outbox,
            clock=lambda: clock[0],
        )
        return World(service, engine, outbox, store, learner_store, platform, clock)

    return make


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()


@pytest.fixture
def redis(redis_any: aioredis.Redis) -> aioredis.Redis:
    """Cohorts, rosters, audit logs and exports on a single Redis and on the Redis Cluster."""
    return redis_any
