"""The release sweep: a recurring job that plans every cohort's releases again, so a release
job lost (a Redis restored from an older copy, a schedule set where no jobs were planned) is
announced anyway: the same job ids, nothing twice, and a lesson that was open before its
schedule was set still not announced."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from bot.course.models import Module
from bot.releases.jobs import is_release
from bot.releases.sweep import SWEEP, SWEEP_EVERY_S, ReleaseSweep
from bot.scheduler.job import Job
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from bot.storage.keys import KeyBuilder
from tests.cohorts.conftest import admin
from tests.releases.conftest import ReleaseWorld, scheduler, weekly
from tests.releases.test_release_dms import ANNOUNCED


def process(world: ReleaseWorld, module: Module) -> Scheduler:
    """A bot process: release DMs and the sweep every `SWEEP_EVERY_S`, as the bots run them."""
    runner = scheduler(world, module)
    runner.on(SWEEP, ReleaseSweep(world.store, runner.store, module, world.clock))
    runner.every(SWEEP, SWEEP_EVERY_S)
    return runner


async def releases(world: ReleaseWorld) -> list[Job]:
    return [job for job in await world.jobs.waiting() if is_release(job)]


def told(world: ReleaseWorld, lesson: int = 2) -> list[str]:
    return sorted(a.user for a, m in world.outbox.sent if m.heading == f"Lesson {lesson} is open")


async def test_lost_release_jobs_are_planned_again_with_their_ids_and_told_once(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA", "UBEN")
    planned = await releases(world)
    assert len(planned) == 3
    for job in planned:  # a Redis restored from a copy older than the schedule
        assert await world.jobs.cancel(job.id)
    processes = [process(world, module), process(world, module)]
    await asyncio.gather(*(p.run_until_idle() for p in processes))
    assert sorted(job.id for job in await releases(world)) == sorted(job.id for job in planned)
    assert sum(p.stats.done for p in processes) == 1, "one sweep per period for the deployment"

    world.clock.set(ANNOUNCED)
    await asyncio.gather(*(p.run_until_idle() for p in processes))
    assert told(world) == ["UADA", "UBEN"]
    for _ in range(3):  # later sweeps plan nothing again, and nobody hears it twice
        world.clock.advance(SWEEP_EVERY_S)
        await asyncio.gather(*(p.run_until_idle() for p in processes))
    assert told(world) == ["UADA", "UBEN"]
    assert len(await releases(world)) == 2  # lessons 3 and 4, still to come


async def test_a_release_lost_just_before_its_time_is_announced_by_the_next_sweep(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA")
    [lesson2] = [job for job in await releases(world) if job.data["lesson"] == "2"]
    runner = process(world, module)
    world.clock.set(ANNOUNCED - 300)
    await runner.run_until_idle()
    assert await world.jobs.cancel(lesson2.id)  # lost at 08:55
    world.clock.set(ANNOUNCED + SWEEP_EVERY_S)  # the next sweep, after 09:00
    await runner.run_until_idle()
    assert told(world) == ["UADA"]
    assert await world.jobs.is_done(lesson2.id)


async def test_the_sweep_announces_no_lesson_that_was_open_before_its_schedule_was_set(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA", start="2026-11-17")  # lesson 3 opened this very morning
    runner = process(world, module)
    await runner.run_until_idle()
    world.clock.advance(SWEEP_EVERY_S)
    await runner.run_until_idle()
    assert all("is open" not in (m.heading or "") for _, m in world.outbox.sent)
    assert [job.data["lesson"] for job in await releases(world)] == ["4"]
    # Set again unchanged, nothing is planned again or announced either.
    assert (await world.say(admin(), "policy spring release every 7d")).title.endswith("nothing changed.")
    world.clock.advance(SWEEP_EVERY_S)
    await runner.run_until_idle()
    assert all("is open" not in (m.heading or "") for _, m in world.outbox.sent)


def test_tutorbot_scheduler_apart_runs_the_release_sweep(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no platform settings at all it still plans: lost release jobs come back."""
    from bot.cli import main

    for name in ("SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "SLACK_CLIENT_ID", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("KEY_PREFIX", "sweep-apart")  # its own keys: its own sweep period job
    tenant = ["--tenant", "slack:TAPART"]
    assert main(["cohort", "create", "later", *tenant]) == 0
    assert main(["cohort", "policy", "later", "start-date", "2030-01-07", *tenant]) == 0
    assert main(["cohort", "policy", "later", "release", "every", "7d", *tenant]) == 0

    async def lose_all() -> list[str]:
        client = aioredis.from_url(redis_url)
        try:
            jobs = JobStore(client, KeyBuilder("sweep-apart"))
            lost = [job.id for job in await jobs.waiting() if is_release(job)]
            for job_id in lost:
                assert await jobs.cancel(job_id)
            return lost
        finally:
            await client.aclose()

    async def waiting() -> list[str]:
        client = aioredis.from_url(redis_url)
        try:
            return [
                job.id
                for job in await JobStore(client, KeyBuilder("sweep-apart")).waiting()
                if is_release(job)
            ]
        finally:
            await client.aclose()

    lost = asyncio.run(lose_all())
    assert len(lost) == 3
    assert main(["scheduler", "--once"]) == 0
    assert sorted(asyncio.run(waiting())) == sorted(lost)
