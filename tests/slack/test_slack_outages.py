"""Slack with Redis gone or hung: Slack is answered in time, and the learner is told why."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

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


async def test_a_reply_left_by_a_killed_process_is_finished_in_the_dm(
    slack_settings: Settings, slack_api: FakeSlackApi, module: Module, redis: aioredis.Redis
) -> None:
    from bot.adapters.recovery import dm_delivery, keep_recovering
    from bot.adapters.slack.outbox import Origin
    from bot.engine.engine import EngineConfig
    from tests.engine.test_lab import GatedAdvisor
    from tests.slack.test_slack_app import open_first_lab

    fast = EngineConfig(lease_s=0.3, renew_every_s=0.1)
    store = RedisLearnerStore(redis, KeyBuilder("test"))
    hung = GatedAdvisor()
    dying = SlackHarness(
        build_slack_adapter(slack_settings, Engine(module, store, hung, fast), redis), slack_api, module
    )
    await open_first_lab(dying, ALICE)
    await dying.dm(ALICE, "What does a junior ML engineer spend most of the week doing?", settle=False)
    for _ in range(300):
        if hung.calls:
            break
        await asyncio.sleep(0.01)
    assert hung.calls == 1
    for task in list(dying.adapter.worker._tasks):  # kill -9: its work stops mid-stream
        task.cancel()
    await asyncio.sleep(0.05)
    before = len(slack_api.of("chat.postMessage")) + len(slack_api.of("chat.update"))

    survivor = build_slack_adapter(slack_settings, Engine(module, store, OfflineAdvisor(), fast), redis)
    deliver = dm_delivery(survivor.worker, lambda: survivor.outbox.at(Origin()))
    sweeping = asyncio.create_task(keep_recovering(survivor.engine, deliver, interval_s=0.1))
    try:
        deadline = time.monotonic() + 5
        while "Exchanges: 1 of 3" not in str(slack_api.calls[before:]):
            assert time.monotonic() < deadline, "the reply was never finished"
            await asyncio.sleep(0.05)
    finally:
        sweeping.cancel()
        await asyncio.gather(sweeping, return_exceptions=True)
        await survivor.worker.drain(5)
    assert await store.open_turns() == []
