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

from bot.adapters.discord.outbox import SENT_TO_DMS
from bot.adapters.discord.runner import run_discord
from bot.adapters.discord.settings import DiscordSettings
from bot.settings import Settings
from tests.discord.harness import TOKEN, command_payload
from tests.fakes.discord_api import FakeDiscordApi

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
    discord_api: FakeDiscordApi, redis_url: str, sigterm_caught: list[int]
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
    discord_api.post_delay = 0.3  # each card takes a while to post: work is in flight at SIGTERM
    runner = asyncio.create_task(run_discord(settings=settings, discord_settings=discord_settings))
    await asyncio.wait_for(discord_api.identified.wait(), 10)
    await asyncio.sleep(0.1)  # READY handled

    await discord_api.dispatch("INTERACTION_CREATE", command_payload(ALICE, "start"))
    for _ in range(200):  # until the command is deferred: accepted, its work started
        if discord_api.of("POST", "/callback"):
            break
        await asyncio.sleep(0.01)
    assert discord_api.of("POST", "/callback"), "the command was answered within the handler"
    assert not discord_api.in_channel(discord_api.dm_of(ALICE)), "its cards are still on the way"

    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(runner, 20) == 0
    assert sigterm_caught == [], "the runner handled SIGTERM itself"

    cards = discord_api.in_channel(discord_api.dm_of(ALICE))
    assert len(cards) >= 2, "the welcome and the first lesson reached the DM before the stop"
    told = [c.body for c in discord_api.of("PATCH", "@original")]
    assert told and SENT_TO_DMS in str(told[-1]), "and the learner was told where they went"
