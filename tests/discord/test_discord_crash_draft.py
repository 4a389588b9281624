"""A bot process killed (`kill -9`) while a lab reply streams into a Discord DM: the process that
takes the turn over finishes it in the draft the dead one left, so the learner sees one reply.

Both bots are real `tutorbot discord` processes on the suite's Redis, connected to the fake
gateway and REST API and the fake Messages API in this process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.harness import TOKEN, message_payload
from tests.engine.driver import Learner
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.discord_api import FakeDiscordApi
from tests.processes import STARTS_PROCESSES_IN_TURN, TAKING_OVER, BotProcess, until

ALICE = "500000000000000011"
SLOW = " ".join(f"slowword{i}" for i in range(60))  # streamed over several seconds, then cut off
FINAL = "A junior ML engineer spends most of the week on data pipelines and evaluation."


@pytest.fixture
def discord_bot_env(discord_api: FakeDiscordApi, bot_env: dict[str, str]) -> dict[str, str]:
    return {
        **bot_env,
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_URL": discord_api.api_url,
        "DISCORD_GATEWAY_URL": discord_api.gateway_url,
    }


async def _start(name: str, discord_api: FakeDiscordApi, env: dict[str, str], data: Path) -> BotProcess:
    discord_api.identified.clear()
    bot = BotProcess(name, ["discord"], env, data)
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 60)
    except TimeoutError:
        raise AssertionError(f"{name} never connected: {bot.output.read_text()[-2000:]}") from None
    await asyncio.sleep(0.3)  # READY handled
    return bot


def _replies(discord_api: FakeDiscordApi) -> list[dict[str, Any]]:
    """The DM messages that show (part of) an advisor reply to the learner's question."""
    shown = discord_api.in_channel(discord_api.dm_of(ALICE))
    return [m for m in shown if "slowword" in str(m) or FINAL in str(m)]


@STARTS_PROCESSES_IN_TURN
@pytest.mark.parametrize(*TAKING_OVER)
async def test_a_draft_left_by_a_killed_process_becomes_the_one_final_reply(
    survivor_name: str,
    lease_s: str,
    discord_api: FakeDiscordApi,
    anthropic_server: FakeAnthropic,
    redis: aioredis.Redis,
    module: Module,
    bots: list[BotProcess],
    discord_bot_env: dict[str, str],
    tmp_path: Path,
) -> None:
    bot_env = {**discord_bot_env, "LAB_TURN_LEASE_S": lease_s}
    store = RedisLearnerStore(redis, KeyBuilder("test"))
    learner = Learner(Engine(module, store, OfflineAdvisor()), user=ALICE, tenant="dm", platform="discord")
    await learner.command("start")
    await learner.read_lesson()
    await learner.open(module.lessons[0].lab.id)
    anthropic_server.script(Reply(text=SLOW, chunk_delay=0.2), Reply(text=FINAL))

    dying = await _start("bot-a", discord_api, bot_env, tmp_path / "a")
    bots.append(dying)
    question = "What does a junior ML engineer spend most of the week doing?"
    await discord_api.dispatch("MESSAGE_CREATE", message_payload(ALICE, discord_api.dm_of(ALICE), question))
    await until(lambda: any(m["edits"] >= 1 for m in _replies(discord_api)), 30, "a draft being edited")
    dying.kill()
    [draft] = _replies(discord_api)
    assert FINAL not in str(draft)

    survivor = await _start(survivor_name, discord_api, bot_env, tmp_path / "b")
    bots.append(survivor)
    await until(lambda: "Exchanges: 1 of 3" in str(draft), 30, "the reply finished in the draft")

    [reply] = _replies(discord_api)  # one reply message: the former draft, no second one
    assert reply["id"] == draft["id"]
    assert FINAL in str(reply) and "slowword" not in str(reply)
    assert len(anthropic_server.requests) == 2
