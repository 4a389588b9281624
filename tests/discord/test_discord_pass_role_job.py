"""The pass role is granted by a scheduler job: once, by whichever Discord process runs it,
also when the process that committed the pass stops before granting, and a 429 that outlasts
discord.py's own retries is tried again through the scheduler."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.pass_role import GRANT
from bot.course.models import Module
from bot.domain.codec import decode
from bot.domain.events import Actor
from bot.scheduler.clock import ManualClock
from bot.scheduler.store import JobStore
from bot.storage.keys import KeyBuilder
from tests.credentials.passes import SECRET
from tests.discord.conftest import discord_process
from tests.discord.harness import GUILD, DiscordHarness
from tests.discord.test_discord_credentials import BOSS, L1, ROLE, cohort_with_pass_role, pass_the_test
from tests.fakes.discord_api import FakeDiscordApi
from tests.shifted_clock import ShiftedClock


@pytest.fixture
async def other_process(
    discord_api: FakeDiscordApi, module: Module, redis: aioredis.Redis, clock: ShiftedClock
) -> AsyncIterator[DiscordHarness]:
    """A second Discord process of the same bot: its own client, engine and lease token."""
    h = discord_process(discord_api, module, redis, clock, certificate_secret=SECRET)
    await h.login()
    yield h
    await h.close()


async def test_a_process_stopped_between_the_pass_and_the_grant_leaves_it_to_another(
    harness: DiscordHarness, other_process: DiscordHarness, module: Module, redis: aioredis.Redis
) -> None:
    await cohort_with_pass_role(harness, L1)
    await pass_the_test(harness, module, L1)  # committed; this process then stops
    [job] = [job for job in await JobStore(redis, KeyBuilder("test")).waiting() if job.kind == GRANT]
    assert job.data == {"guild": GUILD, "user": L1}
    # It had even claimed the job (its lease runs 60 s) before it died.
    dying = JobStore(redis, KeyBuilder("test"))
    now = time.time()
    assert [c.job.id for c in await dying.claim(now, lease_s=60, kinds={GRANT})] == [job.id]
    clock = ManualClock(now + 30)
    assert await other_process.scheduler(clock).run_until_idle() == 0  # the lease still holds
    assert harness.api.granted == []
    clock.advance(31)
    assert await other_process.scheduler(clock).run_until_idle() == 1
    assert harness.api.granted == [(GUILD, L1, ROLE)]
    # Nobody grants it again: not the first process back, nor the pass planned again.
    assert await harness.scheduler(clock).run_until_idle() == 0
    actor = Actor(platform="discord", tenant=GUILD, user=L1)
    stored = await harness.adapter.engine.store.load(actor)
    assert stored is not None
    for listener in harness.adapter.engine.pass_listeners:  # the pass's listeners run again
        await listener(actor, decode(stored.data))
    assert await other_process.scheduler(clock).run_until_idle() == 0
    assert harness.api.granted == [(GUILD, L1, ROLE)]


async def test_a_429_beyond_discord_pys_retries_is_tried_again_by_the_scheduler(
    harness: DiscordHarness, module: Module
) -> None:
    await cohort_with_pass_role(harness, L1)
    boss_dm = harness.api.dm_of(BOSS)
    before = len(harness.api.in_channel(boss_dm))
    await pass_the_test(harness, module, L1)
    harness.api.rate_limit(f"/roles/{ROLE}", times=5)  # discord.py tries 5 times, then gives up
    clock = ManualClock(time.time())
    runner = harness.scheduler(clock)
    assert await runner.run_until_idle() == 1
    assert harness.api.granted == [] and runner.stats.retried == 1
    assert len(harness.api.of("PUT", f"/roles/{ROLE}")) == 5
    assert await runner.run_until_idle() == 0  # not before the wait Discord asked for
    clock.advance(1)
    assert await runner.run_until_idle() == 1
    assert harness.api.granted == [(GUILD, L1, ROLE)]
    assert len(harness.api.in_channel(boss_dm)) == before, "a rate limit is nothing to tell anyone"
