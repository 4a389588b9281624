"""A cohort world on a manual clock: the real engine, cohort service, scheduler and stores on
the suite's Redis, every part reading the same `ManualClock`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.app import retry_handlers
from bot.adapters.slack.outbox import SlackOutbox
from bot.advisor.offline import OfflineAdvisor
from bot.cohorts.answers import Answer
from bot.cohorts.audit import AuditLog
from bot.cohorts.rights import Caller, PayloadAdmins, Rights
from bot.cohorts.service import CohortService
from bot.cohorts.store import CohortStore
from bot.course.loader import load_module
from bot.course.models import Module
from bot.domain.outbox import CollectingOutbox, Outbox
from bot.engine.engine import Engine
from bot.nudges.record import NudgeRecords
from bot.releases.announce import ReleaseAnnouncer
from bot.releases.jobs import LEGACY, release_kind
from bot.releases.legacy import MoveLegacyRelease
from bot.releases.told import ReleaseMarks
from bot.scheduler.clock import ManualClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.cohorts.conftest import Platform, admin
from tests.engine.conftest import COURSE
from tests.engine.driver import Learner
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import BOT_TOKEN

KEYS = KeyBuilder("test")
TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC).timestamp()
"""Tue 1 Dec 2026, 10:00 UTC: the cohort's first day in these tests."""


@dataclass
class ReleaseWorld:
    service: CohortService
    engine: Engine
    outbox: CollectingOutbox
    store: CohortStore
    learners: RedisLearnerStore
    jobs: JobStore
    clock: ManualClock
    redis: aioredis.Redis

    async def say(self, caller: Caller, text: str) -> Answer:
        return await self.service.run_text(caller, text)

    def learner(self, user: str) -> Learner:
        return Learner(self.engine, user=user, tenant="T1")


@pytest.fixture(scope="session")
def module() -> Module:
    return load_module(COURSE)


@pytest.fixture
def make_release_world(redis: aioredis.Redis, module: Module) -> Callable[..., ReleaseWorld]:
    def make(outbox: Outbox | None = None) -> ReleaseWorld:
        clock = ManualClock(TUESDAY)
        learners = RedisLearnerStore(redis, KEYS)
        engine = Engine(module, learners, OfflineAdvisor(), clock=clock.now)
        store = CohortStore(redis, KEYS)
        collecting = CollectingOutbox()
        jobs = JobStore(redis, KEYS)
        service = CohortService(
            store=store,
            audit=AuditLog(redis, KEYS),
            rights=Rights(store, PayloadAdmins()),
            engine=engine,
            directory=Platform(),
            outbox=outbox or collecting,
            clock=clock.now,
            jobs=jobs,
        )
        return ReleaseWorld(service, engine, collecting, store, learners, jobs, clock, redis)

    return make


@pytest.fixture
def world(make_release_world: Callable[..., ReleaseWorld]) -> ReleaseWorld:
    return make_release_world()


@pytest.fixture
def redis(redis_any: aioredis.Redis) -> aioredis.Redis:
    """On a single Redis and on the Redis Cluster: every script keeps its keys in one slot."""
    return redis_any


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=BOT_TOKEN, team_id="T1") as fake:
        yield fake


@pytest.fixture
async def slack_outbox(slack_api: FakeSlackApi) -> SlackOutbox:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.api_url, retry_handlers=retry_handlers())
    return SlackOutbox(client)


def announcer(world: ReleaseWorld, module: Module, outbox: Outbox | None = None) -> ReleaseAnnouncer:
    return ReleaseAnnouncer(
        cohorts=world.store,
        learners=world.learners,
        records=NudgeRecords(world.redis, KEYS),
        marks=ReleaseMarks(world.redis, KEYS),
        module=module,
        outbox=outbox or world.service.outbox,
        clock=world.clock,
    )


def scheduler(
    world: ReleaseWorld, module: Module, outbox: Outbox | None = None, platform: str = "slack"
) -> Scheduler:
    """One bot process of `platform`: its own job store (its own lease token) on the shared Redis."""
    runner = Scheduler(JobStore(world.redis, KEYS), world.clock)
    runner.on(release_kind(platform), announcer(world, module, outbox))
    runner.on(LEGACY, MoveLegacyRelease(runner.store))
    return runner


async def schedule_weekly(world: ReleaseWorld, start: str = "2026-12-01", cohort: str = "spring") -> None:
    """A lesson every 7 days from `start`."""
    boss = admin()
    assert (await world.say(boss, f"policy {cohort} start-date {start}")).ok
    answer = await world.say(boss, f"policy {cohort} release every 7d")
    assert answer.ok, answer.text


async def weekly(world: ReleaseWorld, *users: str, start: str = "2026-12-01", cohort: str = "spring") -> None:
    """Cohort `cohort`, these learners enrolled, a lesson every 7 days from `start`."""
    boss = admin()
    await world.say(boss, f"create {cohort}")
    if users:
        assert (await world.say(boss, f"enrol {cohort} " + " ".join(f"<@{u}>" for u in users))).ok
    await schedule_weekly(world, start, cohort)


async def reader(world: ReleaseWorld, user: str) -> Learner:
    """A learner who has started and read lesson 1."""
    learner = world.learner(user)
    await learner.command("start")
    await learner.read_lesson()
    return learner
