"""The scheduler on a real Redis (single server and cluster): each job runs once across processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

from bot.scheduler.clock import ManualClock
from bot.scheduler.job import Job
from bot.scheduler.runner import RetryLater, Scheduler
from bot.scheduler.store import JobStore
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

NewClient = Callable[[], Awaitable[AsyncRedis]]


def recorder(sent: Counter[str]) -> Callable[[Job], Awaitable[None]]:
    async def send(job: Job) -> None:
        await asyncio.sleep(0)  # let the other process interleave
        sent[job.id] += 1

    return send


async def test_two_processes_at_once_run_each_job_once(redis_any: AsyncRedis, new_client: NewClient) -> None:
    clock = ManualClock()
    keys = KeyBuilder()
    sent: Counter[str] = Counter()
    first = Scheduler(JobStore(await new_client(), keys), clock, batch=7)
    second = Scheduler(JobStore(await new_client(), keys), clock, batch=7)
    for scheduler in (first, second):
        scheduler.on("nudge", recorder(sent))
    for n in range(300):
        await first.store.schedule(Job(id=f"nudge:{n}", kind="nudge", run_at=clock.now() + n % 5))
    clock.advance(10)
    await asyncio.gather(first.run_until_idle(), second.run_until_idle())
    assert sorted(sent) == sorted(f"nudge:{n}" for n in range(300))
    assert set(sent.values()) == {1}
    assert first.stats.done > 0 and second.stats.done > 0  # both really took part
    assert await first.run_due() == 0


async def test_nothing_runs_before_its_time(redis_any: AsyncRedis) -> None:
    clock = ManualClock()
    sent: Counter[str] = Counter()
    scheduler = Scheduler(JobStore(redis_any, KeyBuilder()), clock)
    scheduler.on("nudge", recorder(sent))
    await scheduler.store.schedule(Job(id="later", kind="nudge", run_at=clock.now() + 3600))
    assert await scheduler.run_until_idle() == 0
    clock.advance(3599)
    assert await scheduler.run_until_idle() == 0
    clock.advance(1)
    assert await scheduler.run_until_idle() == 1
    assert sent == Counter({"later": 1})


async def test_same_id_scheduled_twice_or_after_it_ran_is_one_job(redis_any: AsyncRedis) -> None:
    clock = ManualClock()
    sent: Counter[str] = Counter()
    scheduler = Scheduler(JobStore(redis_any, KeyBuilder()), clock)
    scheduler.on("nudge", recorder(sent))
    job = Job(id="nudge:slack:T1:U1:1", kind="nudge", run_at=clock.now())
    assert await scheduler.store.schedule(job)
    assert not await scheduler.store.schedule(job)
    await scheduler.run_until_idle()
    assert not await scheduler.store.schedule(job)  # done: the idempotency key holds
    await scheduler.run_until_idle()
    assert sent == Counter({"nudge:slack:T1:U1:1": 1})


async def test_restart_mid_schedule_keeps_the_rest(redis_any: AsyncRedis, new_client: NewClient) -> None:
    clock = ManualClock()
    keys = KeyBuilder()
    sent: Counter[str] = Counter()
    before = Scheduler(JobStore(await new_client(), keys), clock)
    before.on("nudge", recorder(sent))
    for n in range(10):
        await before.store.schedule(Job(id=f"j{n}", kind="nudge", run_at=clock.now() + n * 60))
    clock.advance(4 * 60)
    assert await before.run_until_idle() == 5
    await before.store.client.aclose()  # the process stops
    after = Scheduler(JobStore(await new_client(), keys), clock)  # a new process, a new client
    after.on("nudge", recorder(sent))
    assert [job.id for job in await after.store.waiting()] == [f"j{n}" for n in range(5, 10)]
    clock.advance(10 * 60)
    assert await after.run_until_idle() == 5
    assert sent == Counter({f"j{n}": 1 for n in range(10)})


async def test_a_process_killed_after_claiming_is_taken_over_once(
    redis_any: AsyncRedis, new_client: NewClient
) -> None:
    clock = ManualClock()
    keys = KeyBuilder()
    sent: Counter[str] = Counter()
    dying = JobStore(await new_client(), keys)
    await dying.schedule(Job(id="nudge:a", kind="nudge", run_at=clock.now()))
    claimed = await dying.claim(clock.now(), lease_s=60)
    assert [c.job.id for c in claimed] == ["nudge:a"]  # ... and the process dies here
    survivor = Scheduler(JobStore(await new_client(), keys), clock, lease_s=60)
    survivor.on("nudge", recorder(sent))
    assert await survivor.run_until_idle() == 0  # the lease still holds
    clock.advance(61)
    assert await survivor.run_until_idle() == 1
    assert sent == Counter({"nudge:a": 1})
    assert not await dying.finish(claimed[0], clock.now())  # too late: it was taken over
    clock.advance(600)
    assert await survivor.run_until_idle() == 0


async def test_retry_later_runs_again_after_the_delay(redis_any: AsyncRedis) -> None:
    clock = ManualClock()
    calls: list[int] = []

    async def quiet_then_send(job: Job) -> None:
        calls.append(job.attempt)
        if job.attempt == 0:
            raise RetryLater(3600, "quiet hours")

    scheduler = Scheduler(JobStore(redis_any, KeyBuilder()), clock)
    scheduler.on("nudge", quiet_then_send)
    await scheduler.store.schedule(Job(id="q", kind="nudge", run_at=clock.now()))
    await scheduler.run_until_idle()
    clock.advance(3599)
    await scheduler.run_until_idle()
    assert calls == [0]
    clock.advance(1)
    await scheduler.run_until_idle()
    assert calls == [0, 1]
    assert await scheduler.store.is_done("q")


async def test_a_kind_this_process_does_not_know_is_left_for_another(redis_any: AsyncRedis) -> None:
    clock = ManualClock()
    sent: Counter[str] = Counter()
    keys = KeyBuilder()
    old = Scheduler(JobStore(redis_any, keys), clock)
    await old.store.schedule(Job(id="r1", kind="release", run_at=clock.now()))
    assert await old.run_due() == 0  # claims nothing it cannot run
    new = Scheduler(JobStore(redis_any, keys), clock)
    new.on("release", recorder(sent))
    await new.run_until_idle()
    assert sent == Counter({"r1": 1})


async def test_a_process_claims_only_the_kinds_it_runs_and_leaves_the_rest_untouched(
    redis_any: AsyncRedis,
) -> None:
    """A Discord process next to a Slack one: neither takes (nor delays, nor counts an attempt
    of) the other's jobs, even with many of them due ahead of its own."""
    clock = ManualClock()
    keys = KeyBuilder()
    sent: Counter[str] = Counter()
    slack = Scheduler(JobStore(redis_any, keys), clock, batch=5)
    discord = Scheduler(JobStore(redis_any, keys), clock, batch=5)
    slack.on("release.slack", recorder(sent))
    discord.on("release.discord", recorder(sent))
    for n in range(40):
        await slack.store.schedule(Job(id=f"s{n}", kind="release.slack", run_at=clock.now() - 100 + n))
    await slack.store.schedule(Job(id="d1", kind="release.discord", run_at=clock.now()))
    assert await discord.run_until_idle() == 1
    assert sent == Counter({"d1": 1})
    waiting = await slack.store.waiting()
    assert len(waiting) == 40 and {(job.kind, job.attempt) for job in waiting} == {("release.slack", 0)}
    assert [job.run_at for job in waiting] == [clock.now() - 100 + n for n in range(40)]
    assert await slack.run_until_idle() == 40
    assert sum(sent.values()) == 41 and set(sent.values()) == {1}

    # A job whose Slack process died mid-run is taken over by a Slack process only.
    await slack.store.schedule(Job(id="s-late", kind="release.slack", run_at=clock.now()))
    dying = JobStore(redis_any, keys)
    assert [c.job.id for c in await dying.claim(clock.now(), lease_s=60, kinds={"release.slack"})] == [
        "s-late"
    ]
    clock.advance(61)
    assert await discord.run_until_idle() == 0
    assert await slack.run_until_idle() == 1 and sent["s-late"] == 1
