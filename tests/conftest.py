"""Shared fixtures: real Redis started by the suite itself, one server and one three-primary
Redis Cluster for the whole run.

Tests that should hold on both ask for `redis_target` (parametrised `single` / `cluster`) or
`redis_any` (a flushed client on it); a module can run all its tests on both by overriding
`redis` with `redis_any`. `redis_cluster_url` names a node of the cluster for tests of the
cluster alone.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from pytest_timeout import Settings as TimeoutSettings

from bot.storage.client import AsyncRedis, connect
from bot.storage.embedded import EmbeddedRedis
from bot.storage.local_cluster import LocalCluster
from tests.fakes.anthropic_server import FakeAnthropic
from tests.processes import SUITE_REDIS_TIMEOUT_S, SUITE_SETTINGS, BotProcess, clean_env

API_KEY = "sk-ant-test-0123456789-SECRET"
CLUSTER_PASSWORD = "cluster-pw-0123456789"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    # pytest-timeout stops its alarm as soon as a test fails (for a debugger), so the teardown
    # after a failure, above all a hang's (its fixtures wait on the same thing), would be
    # unguarded and could hold the run again with no name printed: guard it once more, as long.
    marked = item.get_closest_marker("timeout")
    if marked and marked.args:
        limit = float(marked.args[0])
    else:
        given = item.config.getoption("timeout")
        limit = float(given if given is not None else item.config.getini("timeout") or 0)
    unguarded = limit > 0 and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
    hook = item.config.pluginmanager.hook
    if unguarded:
        settings = TimeoutSettings(limit, "signal", False, False)
        hook.pytest_timeout_set_timer(item=item, settings=settings)
    try:
        return (yield)
    finally:
        if unguarded:
            hook.pytest_timeout_cancel_timer(item=item)


def pytest_configure(config: pytest.Config) -> None:
    # What runs in this process (the CLI's `main`, runtimes, `Settings()`) reads its settings from
    # the environment too; a test's own `monkeypatch.setenv` still wins.
    os.environ.update(SUITE_SETTINGS)


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


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Three `redis-server --cluster-enabled yes` primaries on loopback, slots split evenly,
    started once (only when a test asks for it). Only an ACL user with a password may use it,
    so every cluster test also shows credentials in `REDIS_URL` reach every node."""
    folder = tmp_path_factory.mktemp("cluster")
    with LocalCluster(folder, primaries=3, user="tutorbot", password=CLUSTER_PASSWORD) as cluster:
        yield cluster


@pytest.fixture
def redis_cluster_url(redis_cluster: LocalCluster) -> str:
    return redis_cluster.url


@dataclass(frozen=True)
class RedisTarget:
    """Where a parametrised test's Redis is: `url`, and whether it is a cluster (`REDIS_CLUSTER`)."""

    name: str
    url: str
    cluster: bool

    async def client(self) -> AsyncRedis:
        """A new client, as another bot process would open one."""
        return await connect(self.url, cluster=self.cluster, timeout_s=SUITE_REDIS_TIMEOUT_S)

    def env(self) -> dict[str, str]:
        """The settings a bot process needs to use this Redis."""
        return {"REDIS_URL": self.url, "REDIS_CLUSTER": "true" if self.cluster else "false"}


@pytest.fixture(params=["single", "cluster"])
def redis_target(request: pytest.FixtureRequest) -> RedisTarget:
    if request.param == "cluster":
        return RedisTarget("cluster", request.getfixturevalue("redis_cluster_url"), True)
    return RedisTarget("single", request.getfixturevalue("redis_url"), False)


@pytest.fixture
async def redis_any(redis_target: RedisTarget) -> AsyncIterator[AsyncRedis]:
    """A client on an empty single server or an empty cluster (every primary flushed)."""
    client = await redis_target.client()
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
async def new_client(redis_target: RedisTarget) -> AsyncIterator[Callable[[], Awaitable[AsyncRedis]]]:
    """Opens more clients on the test's Redis (other processes); all are closed afterwards."""
    opened: list[AsyncRedis] = []

    async def make() -> AsyncRedis:
        opened.append(await redis_target.client())
        return opened[-1]

    yield make
    for client in opened:
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


@pytest.fixture
async def redis_gone(tmp_path: Path) -> AsyncIterator[aioredis.Redis]:
    """A client of a Redis that has stopped: every call fails to connect."""
    server = EmbeddedRedis(tmp_path, persistent=False)
    client = aioredis.from_url(server.start())
    server.stop()
    yield client
    await client.aclose()


@pytest.fixture
def bots() -> Iterator[list[BotProcess]]:
    """Bot processes a test starts (`tests.processes.BotProcess`): stopped after it."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        bot.stop()


@pytest.fixture
def bot_env(anthropic_server: FakeAnthropic, redis_url: str, api_key: str) -> dict[str, str]:
    """What a bot process needs besides its platform's settings: the suite's Redis (and its
    `SUITE_SETTINGS`), the fake Messages API (no retries), no scheduler."""
    return {
        **clean_env("SLACK_", "DISCORD_", "ANTHROPIC_", "REDIS_"),
        "REDIS_URL": redis_url,
        "KEY_PREFIX": "test",
        "ANTHROPIC_API_KEY": api_key,
        "ANTHROPIC_BASE_URL": anthropic_server.url,
        "ANTHROPIC_MAX_RETRIES": "0",
        "SCHEDULER_IN_PROCESS": "false",
    }
