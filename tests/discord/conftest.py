from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.app import build_discord_adapter
from bot.adapters.discord.settings import DiscordSettings
from bot.advisor.offline import OfflineAdvisor
from bot.course.loader import load_module
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.scheduler.clock import ManualClock
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.credentials.passes import SECRET
from tests.discord.harness import GUILD, GUILD2, TOKEN, DiscordHarness
from tests.fakes.discord_api import FakeDiscordApi
from tests.shifted_clock import ShiftedClock

COURSE = Path(__file__).resolve().parents[2] / "course_data" / "module-02-technical-roles"


@pytest.fixture(scope="session")
def module() -> Module:
    return load_module(COURSE)


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscordApi]:
    async with FakeDiscordApi(token=TOKEN, guilds={GUILD: "Server A", GUILD2: "Server B"}) as fake:
        yield fake


@pytest.fixture
def clock() -> ShiftedClock:
    """The bot's clock: the real time unless a test moves it forward."""
    return ShiftedClock()


def discord_process(
    api: FakeDiscordApi,
    module: Module,
    redis: aioredis.Redis,
    clock: ShiftedClock | ManualClock,
    **options: Any,
) -> DiscordHarness:
    """One Discord bot process against the fake API: its own client, engine and lease token
    (`options` go to `build_discord_adapter`)."""
    keys = KeyBuilder("test")
    engine = Engine(module, RedisLearnerStore(redis, keys), OfflineAdvisor(), clock=clock.now)
    settings = DiscordSettings(
        _env_file=None,  # type: ignore[call-arg]
        discord_bot_token=TOKEN,
        discord_api_url=api.api_url,
        discord_gateway_url=api.gateway_url,
    )
    return DiscordHarness(build_discord_adapter(settings, engine, redis, keys, **options), api)


@pytest.fixture
async def harness(
    discord_api: FakeDiscordApi, module: Module, redis: aioredis.Redis, clock: ShiftedClock
) -> AsyncIterator[DiscordHarness]:
    h = discord_process(discord_api, module, redis, clock, edit_interval_s=0.05, certificate_secret=SECRET)
    await h.login()
    yield h
    await h.close()
