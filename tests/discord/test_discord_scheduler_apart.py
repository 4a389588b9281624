"""`tutorbot scheduler` apart from the bots, on Discord: it logs in over REST (no gateway), runs
the nudge sweep and sends the nudges due into the learners' DMs, once, and the pass-role sweep
grants a pass role whose grant was lost, once."""

from __future__ import annotations

import io

import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.pass_role_jobs import GRANT
from bot.course.models import Module
from bot.scheduler.service import run_scheduler
from bot.scheduler.store import JobStore
from bot.settings import Settings
from bot.storage.keys import KeyBuilder
from tests.discord.harness import GUILD, TOKEN, DiscordHarness, command_payload
from tests.discord.test_discord_cohort import L1, L2, boss
from tests.discord.test_discord_credentials import ROLE, cohort_with_pass_role
from tests.discord.test_discord_pass_role_sweep import pass_lost
from tests.fakes.discord_api import FakeDiscordApi
from tests.nudges.conftest import NUDGE_HEADING
from tests.shifted_clock import ShiftedClock

DAY = 86400.0
PASSER = "530000000000000201"


def nudges_in_dm(api: FakeDiscordApi, uid: str) -> list[str]:
    return [
        embed.get("description", "")
        for message in api.in_channel(api.dm_of(uid))
        for embed in message.get("embeds", [])
        if embed.get("title") == NUDGE_HEADING
    ]


async def test_once_apart_plans_and_sends_the_due_nudges_through_discord_once(
    harness: DiscordHarness,
    discord_api: FakeDiscordApi,
    clock: ShiftedClock,
    redis: aioredis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_API_URL", discord_api.api_url)
    clock.shift(-4 * DAY)  # the first learner started four days ago
    await boss(harness, "create", name="spring")
    await boss(harness, "policy", name="spring", key="quiet-hours", value="off")  # any hour the test runs at
    await boss(harness, "enrol", name="spring", user_id=L1)
    await boss(harness, "enrol", name="spring", user_id=L2)
    await harness.interaction(command_payload(L1, "start"))
    clock.shift(2 * DAY)
    await harness.interaction(command_payload(L2, "start"))  # two days ago: not due yet
    await harness.settle()
    settings = Settings(_env_file=None, redis_url=redis_url, key_prefix="test")  # type: ignore[call-arg]
    out = io.StringIO()
    assert await run_scheduler(True, settings=settings, out=out) == 0
    [nudge] = nudges_in_dm(discord_api, L1)
    assert nudge.startswith("You stopped at Lesson 1")
    assert nudges_in_dm(discord_api, L2) == []
    assert out.getvalue().startswith("ran ")
    assert await run_scheduler(True, settings=settings, out=io.StringIO()) == 0  # cron, again
    assert len(nudges_in_dm(discord_api, L1)) == 1
    [later] = await JobStore(redis, KeyBuilder("test")).waiting()
    assert later.kind == "nudge.discord" and later.data["user"] == L2  # waits for its day


async def test_once_apart_makes_up_a_lost_pass_role_only_with_discord_settings(
    harness: DiscordHarness,
    discord_api: FakeDiscordApi,
    module: Module,
    redis: aioredis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    await cohort_with_pass_role(harness, PASSER)
    await pass_lost(harness, module, PASSER)
    settings = Settings(_env_file=None, redis_url=redis_url, key_prefix="test")  # type: ignore[call-arg]
    assert await run_scheduler(True, settings=settings, out=io.StringIO()) == 0
    assert discord_api.granted == []
    assert [job for job in await JobStore(redis, KeyBuilder("test")).waiting() if job.kind == GRANT] == []
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)  # now it can reach Discord: it sweeps, and grants
    monkeypatch.setenv("DISCORD_API_URL", discord_api.api_url)
    assert await run_scheduler(True, settings=settings, out=io.StringIO()) == 0
    assert discord_api.granted == [(GUILD, PASSER, ROLE)]
    assert await run_scheduler(True, settings=settings, out=io.StringIO()) == 0  # cron, again
    assert discord_api.granted == [(GUILD, PASSER, ROLE)]
