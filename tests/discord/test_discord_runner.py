"""`tutorbot discord` end to end over the fake gateway and REST API: SIGTERM stops it cleanly,
and the work it had already accepted is delivered before it stops."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.outbox import SENT_TO_DMS
from bot.adapters.discord.runner import run_discord
from bot.adapters.discord.settings import DiscordSettings
from bot.settings import Settings
from tests.discord.harness import TOKEN, command_payload
from tests.fakes.discord_api import FakeDiscordApi
from tests.processes import until

COURSE = Path(__file__).resolve().parents[2] / "course_data"
ALICE = "500000000000000011"


@pytest.fixture
def sigterm_caught() -> Iterator[list[int]]:
    """SIGTERM outside the runner's own handling is recorded here instead of ending pytest."""
    caught: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGTERM, record)
    yield caught
    signal.signal(signal.SIGTERM, previous)


async def test_sigterm_finishes_accepted_work_then_stops(
    discord_api: FakeDiscordApi, redis: aioredis.Redis, redis_url: str, sigterm_caught: list[int]
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        course_dir=COURSE,
        key_prefix="runner",
        anthropic_api_key=None,
    )
    discord_settings = DiscordSettings(
        _env_file=None,  # type: ignore[call-arg]
        discord_bot_token=TOKEN,
        discord_api_url=discord_api.api_url,
        discord_gateway_url=discord_api.gateway_url,
    )
    discord_api.posts_open.clear()  # the cards wait to be posted: work is in flight at SIGTERM
    stop = asyncio.Event()  # what the runner's SIGTERM handler sets
    runner = asyncio.create_task(run_discord(settings=settings, discord_settings=discord_settings, stop=stop))
    await asyncio.wait_for(discord_api.identified.wait(), 60)
    await asyncio.sleep(0.1)  # READY handled

    await discord_api.dispatch("INTERACTION_CREATE", command_payload(ALICE, "start"))
    # Deferred: accepted, its work started (answered within the handler).
    await until(lambda: discord_api.of("POST", "/callback"), 30, "the command to be deferred")
    assert not discord_api.in_channel(discord_api.dm_of(ALICE)), "its cards are still on the way"

    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(stop.wait(), 20)
    assert sigterm_caught == [], "the runner handled SIGTERM itself"
    await asyncio.sleep(0.2)
    assert not runner.done(), "the runner waits for the work it accepted"
    discord_api.posts_open.set()
    assert await asyncio.wait_for(runner, 30) == 0

    cards = discord_api.in_channel(discord_api.dm_of(ALICE))
    assert len(cards) >= 2, "the welcome and the first lesson reached the DM before the stop"
    told = [c.body for c in discord_api.of("PATCH", "@original")]
    assert told and SENT_TO_DMS in str(told[-1]), "and the learner was told where they went"
