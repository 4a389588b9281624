"""Nudges for a cohort's learners, planned from the roster and sent through the scheduler by
two processes at once: each once, naming where the learner stopped, none while paused, and no
more after `max-nudges` in a row until the learner is active again."""

from __future__ import annotations

import asyncio

from bot.cohorts.models import Tenant
from bot.course.models import Module
from bot.domain.messages import Paragraph
from bot.nudges.record import NudgeRecords
from bot.nudges.sender import nudge_handlers
from bot.nudges.sweep import plan_cohort, schedule_nudges
from bot.scheduler.clock import ManualClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from tests.cohorts.conftest import KEYS, World, admin
from tests.engine.driver import Learner
from tests.engine.test_journey import answer, question_shown

DAY = 24 * 3600
TENANT = Tenant(platform="slack", tenant="T1")


def texts(world: World) -> list[tuple[str, str]]:
    out = []
    for actor, message in world.outbox.sent:
        [block] = message.blocks
        assert isinstance(block, Paragraph)
        assert [button.label for button in message.actions] == ["Resume"]
        out.append((actor.user, block.text))
    world.outbox.sent.clear()
    return out


async def sweep_and_run(
    world: World, module: Module, clock: ManualClock, schedulers: list[Scheduler]
) -> None:
    records = NudgeRecords(world.store.client, KEYS)
    cohort = await world.store.get(TENANT, "spring")
    assert cohort is not None
    planned = await plan_cohort(
        world.store, world.learners, records, world.engine.course, TENANT, cohort, clock.now()
    )
    await schedule_nudges(schedulers[0].store, TENANT, "spring", planned)
    await asyncio.gather(*(scheduler.run_until_idle() for scheduler in schedulers))


async def test_nudges_go_out_once_each_and_stop_after_max(world: World, module: Module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring quiet-hours off")
    await world.say(boss, "enrol spring <@UIDLE> <@UNEW>")
    start = world.clock[0]
    idle = Learner(world.engine, user="UIDLE", tenant="T1")
    await idle.command("start")
    await idle.read_lesson()
    world.outbox.sent.clear()
    clock = ManualClock(start)
    schedulers = []
    for _ in range(2):  # two bot processes
        scheduler = Scheduler(JobStore(world.store.client, KEYS), clock)
        scheduler.handlers.update(nudge_handlers(world.learners, world.outbox, "slack", clock=clock))
        schedulers.append(scheduler)

    clock.advance(3 * DAY - 60)
    await sweep_and_run(world, module, clock, schedulers)
    assert texts(world) == []  # not yet three days
    clock.advance(120)
    await sweep_and_run(world, module, clock, schedulers)
    await sweep_and_run(world, module, clock, schedulers)  # planned again: nothing twice
    sent = texts(world)
    assert sorted(user for user, _ in sent) == ["UIDLE", "UNEW"]
    idle_text = dict(sent)["UIDLE"]
    assert idle_text.startswith("Next for you: Lesson 1 · Quiz — about 6 minutes. Pick up where you left off")
    assert dict(sent)["UNEW"].startswith("You have not started yet.")

    for _ in range(4):  # three more stretches of three days: two more nudges, then none
        clock.advance(3 * DAY)
        await sweep_and_run(world, module, clock, schedulers)
    later = texts(world)
    assert [user for user, _ in later].count("UIDLE") == 2
    assert "This is the last reminder." in later[-1][1] and "last reminder" not in later[0][1]

    # Activity starts a new stretch: nudged again three days later.
    world.clock[0] = clock.now()
    await idle.open(module.lessons[0].quiz.id)
    await answer(idle, question_shown(idle, module.lessons[0].quiz.questions), True)
    world.outbox.sent.clear()
    clock.advance(3 * DAY + 60)
    await sweep_and_run(world, module, clock, schedulers)
    assert [user for user, _ in texts(world)] == ["UIDLE"]


async def test_a_paused_learner_gets_none_until_they_resume(world: World, module: Module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring quiet-hours off")
    await world.say(boss, "enrol spring <@UP>")
    learner = Learner(world.engine, user="UP", tenant="T1")
    await learner.command("start")
    world.outbox.sent.clear()
    clock = ManualClock(world.clock[0])
    records = NudgeRecords(world.store.client, KEYS)
    scheduler = Scheduler(JobStore(world.store.client, KEYS), clock)
    scheduler.handlers.update(nudge_handlers(world.learners, world.outbox, "slack", clock=clock))
    actor = learner.actor
    await records.pause(actor, clock.now() + 1)
    clock.advance(4 * DAY)
    await sweep_and_run(world, module, clock, [scheduler])
    assert texts(world) == []
    assert await records.resume(actor)
    await sweep_and_run(world, module, clock, [scheduler])
    assert [user for user, _ in texts(world)] == ["UP"]


async def test_a_nudge_planned_before_the_learner_came_back_is_not_sent(world: World, module: Module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring quiet-hours off")
    await world.say(boss, "enrol spring <@UB>")
    learner = Learner(world.engine, user="UB", tenant="T1")
    await learner.command("start")
    world.outbox.sent.clear()
    clock = ManualClock(world.clock[0])
    records = NudgeRecords(world.store.client, KEYS)
    jobs = JobStore(world.store.client, KEYS)
    cohort = await world.store.get(TENANT, "spring")
    assert cohort is not None
    planned = await plan_cohort(
        world.store, world.learners, records, world.engine.course, TENANT, cohort, clock.now()
    )
    await schedule_nudges(jobs, TENANT, "spring", planned)
    world.clock[0] = clock.now() + 2 * DAY
    await learner.read_lesson()  # back (and finishing a lesson) before the nudge was due
    world.outbox.sent.clear()
    clock.advance(3 * DAY)
    scheduler = Scheduler(jobs, clock)
    scheduler.handlers.update(nudge_handlers(world.learners, world.outbox, "slack", clock=clock))
    assert await scheduler.run_until_idle() == 1
    assert texts(world) == []


def test_the_shell_lists_each_learners_next_nudge(redis_url, monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    tenant = ["--tenant", "slack:TSCHED"]
    assert main(["cohort", "create", "night", *tenant]) == 0
    assert main(["cohort", "enrol", "night", "U0000001", "U0000002", *tenant]) == 0
    capsys.readouterr()
    assert main(["cohort", "schedule", "night", *tenant]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "night (slack:TSCHED): 2 nudge(s) due"
    assert lines[1].split() == ["when", "(UTC)", "learner", "what", "state"]
    assert sorted(line.split()[2] for line in lines[2:]) == ["U0000001", "U0000002"]
    assert all(line.split()[3:] == ["nudge", "1", "of", "3", "planned"] for line in lines[2:])
    assert main(["cohort", "schedule", "night", *tenant, "--yes"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "2 new nudge job(s) handed to the scheduler."
    assert all(line.endswith("scheduled") for line in out[2:-1])
    assert main(["cohort", "schedule", "night", *tenant, "--yes"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 new nudge job(s) handed to the scheduler."
    assert main(["cohort", "policy", "night", "max-nudges", "5", *tenant]) == 0
    capsys.readouterr()
    assert main(["cohort", "schedule", "night", *tenant]) == 0  # the cohort's own policy
    assert all(
        line.split()[3:7] == ["nudge", "1", "of", "5"] for line in capsys.readouterr().out.splitlines()[2:]
    )
    assert main(["cohort", "schedule", "nowhere", *tenant]) == 1
    assert "No cohort named `nowhere`" in capsys.readouterr().out
