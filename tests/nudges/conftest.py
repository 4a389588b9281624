"""Nudges end to end: the real Slack (Bolt, slack-sdk) and Discord (discord.py) adapters against
the fake platform APIs, on the suite's Redis (a single server or the cluster), with schedulers
wired as the bot processes wire theirs (`timed_handlers`, `build_scheduler`) and one hand-moved
clock read by the engine and every scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack.app import build_slack_adapter
from bot.adapters.timed_jobs import RECURRING, timed_handlers
from bot.advisor.offline import OfflineAdvisor
from bot.course.loader import load_module
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.runtime import Runtime
from bot.scheduler.clock import ManualClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.service import build_scheduler
from bot.settings import Settings
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.conftest import discord_api, discord_process  # noqa: F401  # fixture
from tests.discord.harness import DiscordHarness
from tests.fakes.discord_api import FakeDiscordApi
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.conftest import roomy_budget, slack_api, slack_settings  # noqa: F401  # fixtures
from tests.slack.harness import SlackHarness, message_text

COURSE = Path(__file__).resolve().parents[2] / "course_data" / "module-02-technical-roles"
KEYS = KeyBuilder("test")
DAY = 86400.0
NUDGE_HEADING = "A nudge from your course"


@pytest.fixture(scope="session")
def module() -> Module:
    return load_module(COURSE)


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]  # year, month, day, hour[, minute]


def runtime_of(settings: Settings, redis: AsyncRedis, engine: Engine) -> Runtime:
    """What a bot process opens at start (`open_runtime`), around this test's Redis and engine."""
    store = engine.store
    assert isinstance(store, RedisLearnerStore)
    return Runtime(settings, redis, KEYS, store, engine.module, engine.advisor, engine, None)


@dataclass
class Processes:
    """Bot processes' schedulers on one clock; `run` lets them all work until nothing is due."""

    clock: ManualClock
    schedulers: list[Scheduler] = field(default_factory=list)

    async def run(self, *schedulers: Scheduler) -> None:
        running = schedulers or tuple(self.schedulers)
        for _ in range(3):  # the sweep's nudges are due in the pass after the sweep
            await asyncio.gather(*(each.run_until_idle() for each in running))

    async def later(self, seconds: float, *schedulers: Scheduler) -> None:
        self.clock.advance(seconds)
        await self.run(*schedulers)

    async def until(self, moment: float, *schedulers: Scheduler) -> None:
        await self.later(moment - self.clock.now(), *schedulers)


@dataclass
class SlackNudges(Processes):
    slack: SlackHarness = field(kw_only=True)
    api: FakeSlackApi = field(kw_only=True)
    runtime: Runtime = field(kw_only=True)

    def process(self, *, own_app: bool = False) -> Scheduler:
        """One more Slack process's scheduler, wired as `run_slack` wires its own; with
        `own_app`, around an app of its own (which has seen no learner's DM yet)."""
        adapter = self.slack.adapter
        if own_app:
            settings, engine = self.runtime.settings, self.runtime.engine
            adapter = build_slack_adapter(
                settings, engine, self.runtime.redis, budget=roomy_budget(self.runtime.redis)
            )
        handlers = timed_handlers(
            self.runtime, adapter.outbox, "slack", zone_of=adapter.zones, clock=self.clock
        )
        scheduler = build_scheduler(self.runtime, handlers, self.clock, RECURRING)
        self.schedulers.append(scheduler)
        return scheduler

    def nudges(self, user: str) -> list[str]:
        """The text of every nudge in the learner's DM."""
        texts = [message_text(m) for m in self.slack.dm_messages(user)]
        return [t.split("\n", 1)[1] for t in texts if t.startswith(NUDGE_HEADING)]

    async def boss(self, text: str) -> str:
        return (await self.slack.cohort("UADMIN", text)).text

    async def cohort(self, *users: str, started: tuple[str, ...] | None = None) -> None:
        """The cohort `spring` with quiet hours off (whatever the hour the test runs at), the
        `users` enrolled, and those `started` (all of them unless told) on card 2."""
        await self.boss("create spring")
        await self.boss("policy spring quiet-hours off")
        await self.boss("enrol spring " + " ".join(f"<@{user}>" for user in users))
        await self.started(*(users if started is None else started))

    async def started(self, *users: str) -> None:
        """Each learner starts and reads on to card 2 of the first lesson."""
        for user in users:
            await self.slack.command(user, "start")
            await self.slack.click(user, self.slack.button(user, "next"))
        await self.slack.settle()


@pytest.fixture
async def slack_nudges(
    slack_settings: Settings,  # noqa: F811
    slack_api: FakeSlackApi,  # noqa: F811
    module: Module,
    redis_any: AsyncRedis,
) -> SlackNudges:
    clock = ManualClock(utc(2026, 12, 1, 12))  # a Tuesday, noon UTC
    engine = Engine(module, RedisLearnerStore(redis_any, KEYS), OfflineAdvisor(), clock=clock.now)
    adapter = build_slack_adapter(slack_settings, engine, redis_any, budget=roomy_budget(redis_any))
    slack_api.users["UADMIN"] = {"is_admin": True}
    return SlackNudges(
        clock,
        slack=SlackHarness(adapter, slack_api, module),
        api=slack_api,
        runtime=runtime_of(slack_settings, redis_any, engine),
    )


@dataclass
class DiscordNudges(Processes):
    harness: DiscordHarness = field(kw_only=True)
    runtime: Runtime = field(kw_only=True)

    def process(self) -> Scheduler:
        """One more Discord process's scheduler, wired as `run_discord` wires its own."""
        handlers = timed_handlers(self.runtime, self.harness.adapter.outbox, "discord", clock=self.clock)
        scheduler = build_scheduler(self.runtime, handlers, self.clock, RECURRING)
        self.schedulers.append(scheduler)
        return scheduler

    async def later(self, seconds: float, *schedulers: Scheduler) -> None:
        await super().later(seconds, *schedulers)
        await self.harness.settle()

    async def cohort(self, *users: str, **policy: str) -> None:
        """The cohort `spring`, its `policy` set in order (`quiet_hours="off"` for
        `quiet-hours off`), and the `users` enrolled."""
        from tests.discord.test_discord_cohort import boss

        await boss(self.harness, "create", name="spring")
        for key, value in policy.items():
            await boss(self.harness, "policy", name="spring", key=key.replace("_", "-"), value=value)
        for user in users:
            await boss(self.harness, "enrol", name="spring", user_id=user)

    def nudges(self, uid: str) -> list[dict[str, Any]]:
        api = self.harness.api
        return [
            m
            for m in api.in_channel(api.dm_of(uid))
            if any(e.get("title") == NUDGE_HEADING for e in m.get("embeds", []))
        ]


@pytest.fixture
async def discord_nudges(
    discord_api: FakeDiscordApi,  # noqa: F811
    module: Module,
    redis_any: AsyncRedis,
) -> AsyncIterator[DiscordNudges]:
    """The real discord.py client against the fake API; Discord tells no time zone, so the
    cohort's holds."""
    clock = ManualClock(utc(2026, 12, 1, 12))
    discord_api.now = clock.now  # Discord's clock is the world's: ids tell when messages were made
    harness = discord_process(discord_api, module, redis_any, clock, edit_interval_s=0.05)
    await harness.login()
    engine = harness.adapter.engine
    runtime = runtime_of(Settings(_env_file=None, key_prefix="test"), redis_any, engine)  # type: ignore[call-arg]
    yield DiscordNudges(clock, harness=harness, runtime=runtime)
    await harness.close()
