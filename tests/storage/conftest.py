"""Storage fixtures: every storage test runs on a single Redis server and on a Redis Cluster."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain.events import Actor
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore


@pytest.fixture
def redis(redis_any: AsyncRedis) -> AsyncRedis:
    return redis_any


@pytest.fixture
def keys() -> KeyBuilder:
    return KeyBuilder()


@pytest.fixture
def store(redis: AsyncRedis, keys: KeyBuilder) -> RedisLearnerStore:
    return RedisLearnerStore(redis, keys, log_cap=20, transcript_cap=10)


@pytest.fixture
def actor() -> Callable[..., Actor]:
    def make(user: str = "U456", tenant: str = "T123", platform: str = "slack") -> Actor:
        return Actor(platform=platform, tenant=tenant, user=user)  # type: ignore[arg-type]

    return make
