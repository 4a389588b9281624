"""Slack with Redis gone or hung: Slack is answered in time, and the learner is told why."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.adapters.slack.app import build_slack_adapter
from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.settings import Settings
from bot.storage.embedded import EmbeddedRedis
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.fakes.redis_proxy import RedisProxy
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import SlackHarness

ALICE = "UALICE1"


@pytest.fixture
def harness_on(
    slack_settings: Settings, slack_api: FakeSlackApi, module: Module
) -> Callable[[aioredis.Redis], SlackHarness]:
    def make(client: aioredis.Redis) -> SlackHarness:
        engine = Engine(module, RedisLearnerStore(client, KeyBuilder("test")), OfflineAdvisor())
        return SlackHarness(build_slack_adapter(slack_settings, engine, client), slack_api, module)

    return make


@pytest.fixture
async def redis_gone(tmp_path: Path) -> AsyncIterator[aioredis.Redis]:
    server = EmbeddedRedis(tmp_path, persistent=False)
    client = aioredis.from_url(server.start())
    server.stop()
    yield client
    await client.aclose()


async def test_help_with_redis_down_says_the_course_is_briefly_unavailable(
    harness_on, redis_gone, slack_api: FakeSlackApi
) -> None:
    slack = harness_on(redis_gone)
    response = await slack.command(ALICE, "help")
    assert response.status == 200
    answers = slack_api.of("response_url") + slack_api.of("chat.postMessage")
    assert any("briefly unavailable" in str(call.body) for call in answers), answers


async def test_the_home_tab_with_redis_down_says_the_course_is_briefly_unavailable(
    harness_on, redis_gone, slack_api: FakeSlackApi
) -> None:
    slack = harness_on(redis_gone)
    await slack.home_opened(ALICE)
    [publish] = slack_api.of("views.publish")
    assert "briefly unavailable" in str(publish.body["view"]["blocks"])
    assert not slack_api.of("chat.postMessage")  # said on the tab, not also in the DM


async def test_a_dm_is_acknowledged_before_any_redis_call(
    harness_on, redis_server: EmbeddedRedis, redis: aioredis.Redis
) -> None:
    async with RedisProxy(str(redis_server.socket_path)) as proxy:
        client = aioredis.from_url(proxy.url, socket_timeout=4, retry=Retry(NoBackoff(), 0))
        slack = harness_on(client)
        await slack.command(ALICE, "start")
        proxy.hung = True  # Redis stops answering

        started = time.monotonic()
        response = await asyncio.wait_for(slack.dm(ALICE, "hello", settle=False), 10)
        elapsed = time.monotonic() - started

        assert response.status == 200
        assert elapsed < 1.0, f"Slack waited {elapsed:.1f} s for the ack"
        proxy.hung = False
        await slack.settle()
        await client.aclose()
