"""At a lesson's release every enrolled learner gets one DM saying it is open, with a button
that opens it: through the scheduler (two processes at once), the real Slack outbox and the
fake Web API; none for a learner who paused, none twice, and a process stopped mid-fan-out
leaves the rest to the process that takes the job over, which asks Slack about each DM that was
on its way when it died and sends only those that never got there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.adapters.slack.outbox import SlackOutbox
from bot.course.models import Module
from bot.domain.events import Actor, Press
from bot.domain.messages import Message
from bot.domain.outbox import CollectingOutbox, PostOnce
from bot.nudges.record import NudgeRecords
from bot.releases.announce import SEND_CONCURRENCY
from bot.releases.jobs import is_release, release_job
from bot.releases.told import ReleaseMarks
from bot.render.actions import decode
from bot.scheduler.runner import Scheduler
from tests.cohorts.conftest import admin
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.releases.conftest import KEYS, ReleaseWorld, reader, schedule_weekly, scheduler, weekly
from tests.slack.harness import message_text

TUESDAY_8 = datetime(2026, 12, 8, tzinfo=UTC).timestamp()
ANNOUNCED = TUESDAY_8 + 9 * 3600
"""Lesson 2 of a weekly cohort starting Tue 1 Dec opens at 00:00 on Tue 8 Dec; its DM goes at 09:00."""


def told(slack_api: FakeSlackApi, user: str, lesson: int = 2) -> list[str]:
    """The release DMs `user` got, as the fake Web API holds them."""
    texts = [message_text(m) for m in slack_api.channel_messages(f"D{user}")]
    return [t for t in texts if f"Lesson {lesson} is open" in t]


async def test_each_learner_is_told_once_at_release_and_a_paused_one_not_at_all(
    make_release_world: Callable[..., ReleaseWorld],
    slack_outbox: SlackOutbox,
    slack_api: FakeSlackApi,
    module: Module,
) -> None:
    world = make_release_world(slack_outbox)
    await weekly(world, "UADA", "UBEN", "UPAUSE")
    waiting = [job for job in await world.jobs.waiting() if is_release(job)]
    assert [job.run_at for job in waiting] == [ANNOUNCED, ANNOUNCED + 7 * 86400, ANNOUNCED + 14 * 86400]
    await NudgeRecords(world.redis, KEYS).pause(
        Actor(platform="slack", tenant="T1", user="UPAUSE"), world.clock.now()
    )
    processes = [scheduler(world, module), scheduler(world, module)]

    world.clock.set(ANNOUNCED - 1)
    await asyncio.gather(*(p.run_until_idle() for p in processes))
    assert told(slack_api, "UADA") == []
    world.clock.set(ANNOUNCED)
    await asyncio.gather(*(p.run_until_idle() for p in processes))
    await asyncio.gather(*(p.run_until_idle() for p in processes))
    assert len(told(slack_api, "UADA")) == 1 and len(told(slack_api, "UBEN")) == 1
    assert told(slack_api, "UPAUSE") == []
    assert sum(p.stats.done for p in processes) == 1  # one job, run by one of the two
    assert f"Lesson 2: {module.lessons[1].title}" in told(slack_api, "UADA")[0]

    # Re-planning the same schedule (a policy set again) announces nothing twice.
    assert (await world.say(admin(), "policy spring release every 7d")).title.endswith("nothing changed.")
    await asyncio.gather(*(p.run_until_idle() for p in processes))
    assert len(told(slack_api, "UADA")) == 1

    # The DM's button opens the lesson, pressed whenever: it carries no step token.
    [dm] = [m for m in slack_api.channel_messages("DUADA") if "Lesson 2 is open" in message_text(m)]
    [action] = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    ada = await reader(world, "UADA")
    press = decode(action["value"], ada.actor)
    assert press is not None and press.token == ""
    shown = await ada.send(press)
    assert module.lessons[1].title in (shown[0].heading or "")


async def test_a_release_dm_before_the_day_or_a_moved_schedule_opens_nothing_early(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA")
    ada = await reader(world, "UADA")
    await ada.send(Press(actor=ada.actor, action="go", arg=module.lessons[1].id))
    assert ada.notices() == ["Lesson 2 opens on Tue 8 Dec."]
    # The schedule moved a week later: the job planned for the old day is gone, and a job that
    # ran anyway (planned elsewhere) finds the lesson still closed and says nothing.
    assert (await world.say(admin(), "policy spring start-date 2026-12-08")).ok
    runs = sorted(job.run_at for job in await world.jobs.waiting() if is_release(job))
    assert runs[0] == ANNOUNCED + 7 * 86400
    world.outbox.sent.clear()
    world.clock.set(ANNOUNCED)
    runner = scheduler(world, module)
    await runner.store.schedule(release_job(admin().home, "spring", 2, ANNOUNCED, "stray"))
    assert await runner.run_until_idle() == 1
    assert world.outbox.sent == []


class StallingOutbox:
    """Delivers the first `passes` DMs, then stalls every further one (a process about to die)."""

    def __init__(self, inner: CollectingOutbox, passes: int) -> None:
        self.inner = inner
        self.passes = passes
        self.stalled = asyncio.Event()

    async def post_card(self, actor: Actor, message: Message, once: PostOnce | None = None) -> bool:
        if self.passes <= 0:
            self.stalled.set()
            await asyncio.Event().wait()
        self.passes -= 1
        return await self.inner.post_card(actor, message, once)


async def test_a_process_killed_mid_fan_out_leaves_the_rest_to_the_next_and_everyone_hears_once(
    world: ReleaseWorld, module: Module
) -> None:
    users = [f"U{n:02d}" for n in range(12)]
    await weekly(world, *users)
    lesson2 = module.lessons[1].id
    # U11's DM was on its way when an earlier process died (a mark of a version that kept no time).
    marks = ReleaseMarks(world.redis, KEYS)
    await world.redis.hset(KEYS.release_told("slack", "T1", "spring", lesson2), "U11", "sending")
    world.outbox.sent.clear()
    world.clock.set(ANNOUNCED)
    stalling = StallingOutbox(world.outbox, passes=3)
    first = scheduler(world, module, stalling)
    frozen = asyncio.create_task(first.run_due())  # claims the job, sends three, then hangs: dead
    await asyncio.wait_for(stalling.stalled.wait(), 5)
    await asyncio.sleep(0.05)
    assert len(world.outbox.sent) == 3
    marked = await marks.told(admin().home, "spring", lesson2)
    assert sum(mark.startswith("sending") for mark in marked.values()) == SEND_CONCURRENCY + 1

    second = scheduler(world, module)
    assert await second.run_until_idle() == 0  # the dead process's lease still holds
    world.clock.advance(first.lease_s + 1)
    assert await second.run_until_idle() == 1  # its lease ran out: taken over
    got = [actor.user for actor, _ in world.outbox.sent]
    # Those whose DM was on its way were asked after (none had gone out): told now, once each.
    assert len(got) == len(set(got)) == 12
    marked = await marks.told(admin().home, "spring", lesson2)
    assert marked == {user: "sent" for user in users}
    frozen.cancel()
    await asyncio.gather(frozen, return_exceptions=True)


@pytest.fixture
def slack_world(make_release_world: Callable[..., ReleaseWorld], slack_outbox: SlackOutbox) -> ReleaseWorld:
    """Release DMs through the real Slack outbox to the fake Web API."""
    return make_release_world(slack_outbox)


async def killed_mid_release(
    world: ReleaseWorld, module: Module, slack_api: FakeSlackApi, outbox: SlackOutbox, *, reached: bool
) -> Scheduler:
    """A process dies while UADA's release DM is on its way: after Slack stored it (`reached`),
    or after it marked UADA as being told, before anything was posted. Returns the process left
    to take the job over."""
    await weekly(world, "UADA")
    world.clock.set(ANNOUNCED)
    dying = scheduler(world, module, outbox)
    if reached:
        running = asyncio.create_task(dying.run_due())

        def die(call: Call) -> None:
            if call.method == "chat.postMessage":
                running.cancel()  # Slack has the message; its answer never reaches the process

        slack_api.listeners.append(die)
        with contextlib.suppress(asyncio.CancelledError):
            await running
        slack_api.listeners.remove(die)
    else:
        claimed = await dying.store.claim(world.clock.now(), lease_s=dying.lease_s)
        assert [c.job.kind for c in claimed] == ["release.slack"]
        marks = ReleaseMarks(world.redis, KEYS)
        assert await marks.take(admin().home, "spring", module.lessons[1].id, "UADA", world.clock.now())
    world.clock.advance(dying.lease_s + 1)
    return scheduler(world, module, outbox)


@pytest.mark.parametrize("reached", [True, False], ids=["after-it-reached-slack", "before"])
async def test_a_release_dm_on_its_way_when_its_process_died_reaches_the_learner_once(
    slack_world: ReleaseWorld,
    slack_outbox: SlackOutbox,
    slack_api: FakeSlackApi,
    module: Module,
    reached: bool,
) -> None:
    world = slack_world
    survivor = await killed_mid_release(world, module, slack_api, slack_outbox, reached=reached)
    assert len(told(slack_api, "UADA")) == (1 if reached else 0)
    assert await survivor.run_until_idle() == 1
    assert len(told(slack_api, "UADA")) == 1  # found in the DM's history, or posted now: once
    [looked] = slack_api.of("conversations.history")  # asked before anything was posted again
    assert looked.body["channel"] == "DUADA"
    marked = await ReleaseMarks(world.redis, KEYS).told(admin().home, "spring", module.lessons[1].id)
    assert marked == {"UADA": "sent"}
    assert await survivor.run_until_idle() == 0
    assert len(told(slack_api, "UADA")) == 1


async def test_a_schedule_set_late_announces_only_what_is_still_to_come(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA", start="2026-11-17")  # L2 24 Nov, L3 1 Dec, L4 8 Dec
    runs = [job.run_at for job in await world.jobs.waiting() if is_release(job)]
    assert runs == [ANNOUNCED]  # Lesson 4's; Lessons 2 and 3 were open before the schedule was set
    world.outbox.sent.clear()
    assert await scheduler(world, module).run_until_idle() == 0
    assert world.outbox.sent == []


async def test_a_learner_who_read_the_lesson_before_a_schedule_came_is_not_told_it_opened(
    world: ReleaseWorld, module: Module
) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@UADA> <@UBEN>")
    ada = await reader(world, "UADA")
    await ada.open(module.lessons[1].id)
    await ada.read_lesson()  # Lesson 2 read while nothing was held back
    await schedule_weekly(world)
    world.outbox.sent.clear()
    world.clock.set(ANNOUNCED)
    assert await scheduler(world, module).run_until_idle() == 1
    assert [(a.user, m.heading) for a, m in world.outbox.sent] == [("UBEN", "Lesson 2 is open")]


async def test_a_release_dm_refused_for_now_is_tried_again_and_one_to_a_learner_who_left_is_not(
    slack_world: ReleaseWorld,
    slack_outbox: SlackOutbox,
    slack_api: FakeSlackApi,
    module: Module,
) -> None:
    world = slack_world
    await weekly(world, "UADA", "UBEN")
    world.clock.set(ANNOUNCED)
    process = scheduler(world, module, slack_outbox)
    slack_api.fail_next("chat.postMessage", "internal_error")  # the first DM: Slack fails for now
    slack_api.fail_next("chat.postMessage", "account_inactive")  # the second: deactivated
    assert await process.run_until_idle() == 1
    assert told(slack_api, "UADA") == told(slack_api, "UBEN") == []
    assert process.stats.retried == 1
    world.clock.advance(30)
    assert await process.run_until_idle() == 1
    # One was told on the second run; the one who left was tried once, never again.
    assert sorted([len(told(slack_api, "UADA")), len(told(slack_api, "UBEN"))]) == [0, 1]
    release_posts = [c for c in slack_api.of("chat.postMessage") if c.body.get("metadata")]
    assert len(release_posts) == 3
    world.clock.advance(3600)
    assert await process.run_until_idle() == 0
    assert len([c for c in slack_api.of("chat.postMessage") if c.body.get("metadata")]) == 3
