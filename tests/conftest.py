"""Shared fixtures: one real redis-server for the whole run, started by the suite itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from bot.storage.embedded import EmbeddedRedis
from tests.fakes.anthropic_server import FakeAnthropic

API_KEY = "sk-ant-test-0123456789-SECRET"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persistent=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client on an empty database: every test starts from nothing."""
    client = aioredis.from_url(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def api_key() -> str:
    """A recognisable fake Anthropic key: tests check it never shows up in errors or logs."""
    return API_KEY


@pytest.fixture
async def anthropic_server() -> AsyncIterator[FakeAnthropic]:
    """A fake Messages API on 127.0.0.1 (random port), speaking the real wire format; script it
    with `.script(...)`."""
    async with FakeAnthropic() as server:
        yield server
