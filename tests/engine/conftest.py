"""Fixtures for engine tests: the bundled Module 2, and engines on the suite's real Redis."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.advisor.base import Advisor
from bot.advisor.offline import OfflineAdvisor
from bot.course.loader import load_module
from bot.course.models import Module
from bot.engine.engine import Engine, EngineConfig
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore

COURSE = Path(__file__).resolve().parents[2] / "course_data" / "module-02-technical-roles"


@pytest.fixture(scope="session")
def module() -> Module:
    return load_module(COURSE)


@pytest.fixture
def store(redis: aioredis.Redis) -> RedisLearnerStore:
    return RedisLearnerStore(redis, KeyBuilder("test"))


@pytest.fixture
def make_engine(module: Module, store: RedisLearnerStore) -> Callable[..., Engine]:
    """Engines sharing one store, as several bot processes share one Redis."""

    def make(advisor: Advisor | None = None, config: EngineConfig | None = None, **kwargs: object) -> Engine:
        return Engine(module, store, advisor or OfflineAdvisor(), config or EngineConfig(), **kwargs)  # type: ignore[arg-type]

    return make
