"""The pass-role sweep: a pass whose grant was never handed to the scheduler (the process was
killed right after the pass's commit) still gets its role, once, through the fake Discord API;
nothing else is granted, and a pass older than the sweep's window is left alone. On a single
Redis and on a cluster."""

from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis

from bot.adapters.discord.pass_role_jobs import GRANT, RECENT_PASS_S, SWEEP, SWEEP_EVERY_S, grant_job
from bot.cohorts.models import Cohort, CohortSettings, RosterEntry, Tenant
from bot.cohorts.store import CohortStore
from bot.course.models import Module
from bot.domain.codec import decode, encode
from bot.domain.events import Actor
from bot.domain.state import LearnerState, Progress, TestAttempt
from bot.scheduler.clock import ManualClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.harness import GUILD, MANAGE_GUILD, DiscordHarness
from tests.discord.test_discord_credentials import BOSS, ROLE, cohort_with_pass_role, pass_the_test
from tests.engine.driver import Learner
from tests.shifted_clock import ShiftedClock

L1, L2, L3, L4 = (f"53000000000000010{n}" for n in range(1, 5))
KEYS = KeyBuilder("test")
DAY = 86400.0


@pytest.fixture
def redis(redis_any: AsyncRedis) -> AsyncRedis:
    return redis_any


def sweeping(h: DiscordHarness, clock: ManualClock) -> Scheduler:
    """This Discord process's scheduler, seeding the sweep as a running bot does."""
    runner = h.scheduler(clock)
    runner.every(SWEEP, SWEEP_EVERY_S)
    return runner


async def pass_lost(h: DiscordHarness, module: Module, user: str) -> None:
    """A pass committed by a process killed before its pass listeners ran."""
    listeners = list(h.adapter.engine.pass_listeners)
    h.adapter.engine.pass_listeners.clear()
    try:
        await pass_the_test(h, module, user)
    finally:
        h.adapter.engine.pass_listeners.extend(listeners)


async def grants_waiting(redis: AsyncRedis) -> list[str]:
    return [job.data["user"] for job in await JobStore(redis, KEYS).waiting() if job.kind == GRANT]


async def test_a_pass_whose_grant_was_lost_gets_the_role_once(
    harness: DiscordHarness, module: Module, redis: AsyncRedis
) -> None:
    await cohort_with_pass_role(harness, L1)
    await pass_lost(harness, module, L1)
    assert await grants_waiting(redis) == [], "the grant was never handed on"
    clock = ManualClock(time.time())
    runner = sweeping(harness, clock)
    assert await runner.run_until_idle() == 2  # the sweep, then the grant it scheduled
    assert harness.api.granted == [(GUILD, L1, ROLE)]
    for _ in range(3):  # ten minutes later, and later again: a role taken away stays away
        clock.advance(SWEEP_EVERY_S)
        assert await runner.run_until_idle() == 1  # the sweep alone
    # The pass's own listener, had it run late, schedules nothing either: the same job id.
    actor = Actor(platform="discord", tenant=GUILD, user=L1)
    stored = await harness.adapter.engine.store.load(actor)
    assert stored is not None
    for listener in harness.adapter.engine.pass_listeners:
        await listener(actor, decode(stored.data))
    clock.advance(SWEEP_EVERY_S)
    assert await runner.run_until_idle() == 1
    assert harness.api.granted == [(GUILD, L1, ROLE)]
    assert len(harness.api.of("PUT", f"/roles/{ROLE}")) == 1


async def test_a_grant_handed_on_as_usual_is_not_made_again_by_the_sweep(
    harness: DiscordHarness, module: Module
) -> None:
    await cohort_with_pass_role(harness, L1)
    await pass_the_test(harness, module, L1)
    clock = ManualClock(time.time())
    runner = sweeping(harness, clock)
    assert await runner.run_until_idle() == 2  # the grant, and the sweep finding it done
    clock.advance(SWEEP_EVERY_S)
    assert await runner.run_until_idle() == 1
    assert len(harness.api.of("PUT", f"/roles/{ROLE}")) == 1


def passed(module: Module, at: float) -> bytes:
    progress = Progress().with_test_begun()
    progress = progress.with_test_finished(TestAttempt(score=15, total=15, passed=True, finished_at=at))
    return encode(LearnerState(module_id=module.id, progress=progress))


async def test_only_passed_learners_of_discord_cohorts_with_a_pass_role_are_swept(
    harness: DiscordHarness, module: Module, redis: AsyncRedis
) -> None:
    boss = {"permissions": MANAGE_GUILD}
    await cohort_with_pass_role(harness, L1, L3)  # `spring`, with the role
    await harness.cohort(BOSS, "create", name="autumn", **boss)  # no pass role
    await harness.cohort(BOSS, "policy", name="autumn", key="test-open-early", value="on", **boss)
    await harness.cohort(BOSS, "enrol", name="autumn", user_id=L2, **boss)
    cohorts = CohortStore(redis, KEYS)
    # A cohort whose roster has a broken entry, and one whose record no longer reads: both come
    # before `spring` on the round.
    await cohorts.create(
        Tenant(platform="discord", tenant=GUILD),
        Cohort(
            name="broken",
            created_by=BOSS,
            created_at=time.time(),
            settings=CohortSettings(test_attempts=3, cooldown_minutes=0, pass_role=ROLE),
        ),
    )
    await redis.hset(KEYS.roster("discord", GUILD, "broken"), L4, b"{not json")
    await redis.sadd(KEYS.cohorts("discord", GUILD), "bad")
    await redis.set(KEYS.cohort("discord", GUILD, "bad"), b'{"name": "bad"')
    # A Slack cohort whose record names a pass role (no command sets one there), and its passed learner.
    slack = Tenant(platform="slack", tenant="T0SWEEP")
    await cohorts.create(
        slack,
        Cohort(
            name="alpha",
            created_by="U0BOSS",
            created_at=time.time(),
            settings=CohortSettings(test_attempts=3, cooldown_minutes=0, pass_role=ROLE),
        ),
    )
    await cohorts.enrol(
        slack, "alpha", [RosterEntry(user="U0PASSED", enrolled_at=time.time(), enrolled_by="U0BOSS")]
    )
    store = RedisLearnerStore(redis, KEYS)
    slack_learner = Actor(platform="slack", tenant=slack.tenant, user="U0PASSED")
    assert (await store.commit(slack_learner, None, passed(module, time.time()))).ok

    await pass_lost(harness, module, L1)
    await pass_lost(harness, module, L2)  # passed, in a cohort without a role
    await Learner(harness.adapter.engine, user=L3, tenant=GUILD, platform="discord").command("start")
    runner = sweeping(harness, ManualClock(time.time()))
    assert await runner.run_until_idle() == 2
    assert harness.api.granted == [(GUILD, L1, ROLE)]
    assert await grants_waiting(redis) == []
    jobs = JobStore(redis, KEYS)
    for user in (L2, L3, L4):
        assert not await jobs.is_done(grant_job(GUILD, user, ROLE, 0).id)
    assert not await jobs.is_done(grant_job(slack.tenant, "U0PASSED", ROLE, 0).id)


async def test_a_pass_older_than_the_window_is_left_alone(
    harness: DiscordHarness, module: Module, clock: ShiftedClock
) -> None:
    await cohort_with_pass_role(harness, L1, L2)
    clock.shift(-(RECENT_PASS_S + DAY))  # eight days ago
    await pass_lost(harness, module, L1)
    clock.shift(2 * DAY)  # six days ago
    await pass_lost(harness, module, L2)
    clock.shift(RECENT_PASS_S - DAY)  # now
    runner = sweeping(harness, ManualClock(clock.now()))
    assert await runner.run_until_idle() == 2
    assert harness.api.granted == [(GUILD, L2, ROLE)]


async def test_the_window_stays_shorter_than_the_done_marks_are_kept(redis: aioredis.Redis) -> None:
    """Past the done marks' keep, a grant would be made again: the sweep refuses to look that far."""
    from bot.adapters.discord.pass_role_jobs import PassRoleSweep

    cohorts = CohortStore(redis, KEYS)
    jobs = JobStore(redis, KEYS, done_keep_s=RECENT_PASS_S)
    with pytest.raises(ValueError, match="done marks"):
        PassRoleSweep(cohorts, RedisLearnerStore(redis, KEYS), jobs, time.time)
