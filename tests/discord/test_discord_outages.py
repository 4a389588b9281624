"""Discord with Redis gone: `/tutor help` still answers, saying the course is briefly unavailable."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.app import build_discord_adapter
from bot.adapters.discord.settings import DiscordSettings
from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.harness import TOKEN, DiscordHarness, command_payload
from tests.fakes.discord_api import FakeDiscordApi

ALICE = "500000000000000011"


@pytest.fixture
async def harness_without_redis(
    discord_api: FakeDiscordApi, module: Module, redis_gone: aioredis.Redis
) -> AsyncIterator[DiscordHarness]:
    keys = KeyBuilder("test")
    engine = Engine(module, RedisLearnerStore(redis_gone, keys), OfflineAdvisor())
    settings = DiscordSettings(
        _env_file=None,  # type: ignore[call-arg]
        discord_bot_token=TOKEN,
        discord_api_url=discord_api.api_url,
        discord_gateway_url=discord_api.gateway_url,
    )
    h = DiscordHarness(build_discord_adapter(settings, engine, redis_gone, keys), discord_api)
    await h.login()
    yield h
    await h.close()


@pytest.mark.parametrize("guild", [None, "700000000000000001"], ids=["in-the-dm", "in-a-server"])
async def test_help_with_redis_down_says_the_course_is_briefly_unavailable(
    harness_without_redis: DiscordHarness, guild: str | None
) -> None:
    api = harness_without_redis.api
    await harness_without_redis.interaction(command_payload(ALICE, "help", guild=guild))
    await harness_without_redis.settle()
    answers = api.of("POST", "/callback") + api.of("PATCH", "@original") + api.of("POST", "/webhooks/")
    said = " ".join(json.dumps(call.body) for call in answers)
    assert "briefly unavailable" in said, said
