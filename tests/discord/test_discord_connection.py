"""The real connection path against the fake Discord: gateway heartbeats, a dropped connection
resumed mid-course, a 429 honoured, command sync per application and per development server."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.app import build_discord_adapter, sync_commands_if_changed
from bot.adapters.discord.settings import DiscordSettings
from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.harness import GUILD, TOKEN, DiscordHarness, click_payload, command_payload
from tests.fakes.discord_api import APP_ID, RETRY_AFTER_S, FakeDiscordApi

ALICE = "500000000000000041"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message.get("components", []) for b in row["components"]]


def forward(message: dict[str, Any]) -> str:
    return next(
        b["custom_id"] for b in buttons(message) if b["custom_id"].split(":")[1] not in ("back", "menu")
    )


@pytest.fixture
async def quick_heartbeats(module: Module, redis: aioredis.Redis) -> Any:
    async with FakeDiscordApi(token=TOKEN, heartbeat_interval_ms=100) as api:
        keys = KeyBuilder("beat")
        settings = DiscordSettings(
            _env_file=None,  # type: ignore[call-arg]
            discord_bot_token=TOKEN,
            discord_api_url=api.api_url,
            discord_gateway_url=api.gateway_url,
        )
        engine = Engine(module, RedisLearnerStore(redis, keys), OfflineAdvisor())
        h = DiscordHarness(build_discord_adapter(settings, engine, redis, keys), api)
        await h.login()
        yield h
        await h.close()


async def test_heartbeats_are_sent_and_acknowledged(quick_heartbeats: DiscordHarness) -> None:
    await asyncio.sleep(0.5)
    api = quick_heartbeats.api
    assert api.ops[0] == 1 and 2 in api.ops, "a heartbeat at HELLO, then IDENTIFY"
    assert api.ops.count(1) >= 4, "heartbeats every 100 ms"
    assert api.ops.count(2) == 1 and 6 not in api.ops, "each acknowledged: no reconnect"
    assert quick_heartbeats.adapter.client.latency < 1


async def test_a_dropped_connection_is_resumed_mid_course(harness: DiscordHarness) -> None:
    api = harness.api
    await harness.interaction(command_payload(ALICE, "start"))
    card = copy.deepcopy([m for m in api.in_channel(api.dm_of(ALICE)) if buttons(m)][-1])
    shown = len(api.in_channel(api.dm_of(ALICE)))

    await api.drop()
    # The press happens while the bot is away: Discord keeps it and replays it after RESUME.
    await api.dispatch("INTERACTION_CREATE", click_payload(ALICE, card, forward(card)))
    await asyncio.wait_for(api.resumed.wait(), 10)
    await harness.settle()
    assert api.ops.count(2) == 1 and api.ops.count(6) == 1, "resumed, not identified again"
    assert len(api.in_channel(api.dm_of(ALICE))) > shown, "the press made while away was answered"

    await harness.interaction(command_payload(ALICE, "progress"))  # and the session goes on
    assert "Your progress" in str(api.of("PATCH", "@original")[-1].body)


async def test_a_429_is_waited_out_and_the_card_still_arrives(harness: DiscordHarness) -> None:
    api = harness.api
    api.rate_limit(f"/channels/{api.dm_of(ALICE)}/messages")
    await harness.interaction(command_payload(ALICE, "start"))
    posts = api.of("POST", f"/channels/{api.dm_of(ALICE)}/messages")
    assert len(posts) >= 2, "the refused post was sent again"
    assert posts[1].at - posts[0].at >= RETRY_AFTER_S * 0.9, "after Retry-After"
    assert api.in_channel(api.dm_of(ALICE)), "and the cards arrived"


async def test_tutor_is_subcommands_with_descriptions(harness: DiscordHarness, redis: aioredis.Redis) -> None:
    assert await sync_commands_if_changed(harness.adapter.tree, redis, KeyBuilder("test"))
    tutor = next(c for c in harness.api.of("PUT", "/commands")[-1].body if c["name"] == "tutor")
    subcommands = {o["name"]: o for o in tutor["options"]}
    assert set(subcommands) >= {"start", "resume", "progress", "help", "certificate"}
    assert all(o["type"] == 1 and o["description"] for o in subcommands.values())
    assert 0 in tutor["contexts"] and 1 in tutor["contexts"], "in servers and in DMs"


async def test_two_applications_sharing_redis_each_upload_their_commands(
    harness: DiscordHarness, module: Module, redis: aioredis.Redis
) -> None:
    keys = KeyBuilder("test")  # the same Redis and prefix as `harness`
    other_app = "900000000000000077"
    async with FakeDiscordApi(token=TOKEN, app_id=other_app) as other_api:
        settings = DiscordSettings(
            _env_file=None,  # type: ignore[call-arg]
            discord_bot_token=TOKEN,
            discord_api_url=other_api.api_url,
            discord_gateway_url=other_api.gateway_url,
        )
        engine = Engine(module, RedisLearnerStore(redis, keys), OfflineAdvisor())
        other = DiscordHarness(build_discord_adapter(settings, engine, redis, keys), other_api)
        await other.login()
        try:
            assert await sync_commands_if_changed(harness.adapter.tree, redis, keys)
            assert await sync_commands_if_changed(other.adapter.tree, redis, keys), (
                "the other bot uploads too"
            )
            assert not await sync_commands_if_changed(other.adapter.tree, redis, keys)
        finally:
            await other.close()
        assert [c.path for c in harness.api.of("PUT", "/commands")] == [f"/applications/{APP_ID}/commands"]
        assert [c.path for c in other_api.of("PUT", "/commands")] == [f"/applications/{other_app}/commands"]


async def test_a_dev_guild_gets_the_commands_at_once(harness: DiscordHarness, redis: aioredis.Redis) -> None:
    keys = KeyBuilder("dev")
    assert await sync_commands_if_changed(harness.adapter.tree, redis, keys, int(GUILD))
    assert not await sync_commands_if_changed(harness.adapter.tree, redis, keys, int(GUILD))
    puts = harness.api.of("PUT", "/commands")
    assert [c.path for c in puts] == [f"/applications/{APP_ID}/guilds/{GUILD}/commands"]
    assert any(c["name"] == "tutor" for c in puts[0].body)
