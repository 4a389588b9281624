"""Nudges when things go wrong, on Slack: a learner who left or was deactivated, a closed DM, a
429, a process killed after claiming a job (before or after posting; killed in the middle of
posting: `test_killed_mid_post`), a restart mid-schedule, a clock that jumps. Each is handled
and logged with the learner and the job, and no nudge goes out twice."""

from __future__ import annotations

import logging

import pytest

from bot.adapters.slack.app import RATE_LIMIT_RETRIES
from bot.domain.events import Actor
from bot.nudges.record import NudgeRecords
from bot.scheduler.job import Job
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from tests.nudges.conftest import DAY, KEYS, SlackNudges


def nudge_jobs(claimed: list) -> list:  # type: ignore[type-arg]
    return [c for c in claimed if c.job.kind == "nudge.slack"]


async def first_nudge_waiting(scheduler: Scheduler) -> list[Job]:
    """The stretch's first nudge, waiting to be tried again. A sweep that ran while it was being
    posted may have planned the second one too, nudge-after later: that is not a duplicate."""
    return [
        job for job in await scheduler.store.waiting() if job.kind == "nudge.slack" and job.id.endswith(":1")
    ]


async def test_learners_who_left_or_closed_their_dm_are_logged_and_not_tried_again(
    slack_nudges: SlackNudges, caplog: pytest.LogCaptureFixture
) -> None:
    world = slack_nudges
    await world.cohort("UNEVER", "UDEAD", "UNODM", "USTAYS", started=("UDEAD", "UNODM"))
    world.clock.advance(DAY)
    await world.started("USTAYS")  # due a day after the others
    world.process(own_app=True)  # a process that opens each DM anew
    # Three nudges are due at once: opening the first DM fails (the learner left the workspace),
    # and posting fails for the other two (deactivated; DMs with the app turned off).
    world.api.fail_next("conversations.open", "user_not_found")
    world.api.fail_next("chat.postMessage", "account_inactive")
    world.api.fail_next("chat.postMessage", "cannot_dm_bot")
    caplog.set_level(logging.INFO, "tutorbot.nudges")
    await world.later(2 * DAY + 60)
    assert world.nudges("UNEVER") == world.nudges("UDEAD") == world.nudges("UNODM") == []
    gone = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(gone) == 3
    for code in ("user_not_found", "account_inactive", "cannot_dm_bot"):
        [line] = [each for each in gone if code in each]
        assert "nudge:slack:T1:U" in line and "slack:T1:U" in line  # the job and the learner
    calls = len(world.api.calls)
    await world.later(DAY)
    assert len(world.nudges("USTAYS")) == 1  # the others' faults stopped nobody else
    tried = [
        c.body for c in world.api.calls[calls:] if c.method in ("conversations.open", "chat.postMessage")
    ]
    assert all(body.get("users") != "UNEVER" for body in tried)
    assert all(
        body.get("channel") not in (world.slack.dm_channel(u) for u in ("UDEAD", "UNODM")) for body in tried
    )


async def test_a_429_is_retried_through_the_scheduler_after_retry_after_and_sent_once(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.cohort("URATE")
    scheduler = world.process()
    await world.later(60)
    # slack-sdk waits out RATE_LIMIT_RETRIES 429s itself; the next one reaches the sender.
    world.api.rate_limit_next("chat.postMessage", retry_after=1, times=RATE_LIMIT_RETRIES + 1)
    await world.later(3 * DAY)
    assert world.nudges("URATE") == [] and scheduler.stats.retried == 1
    [waiting] = await first_nudge_waiting(scheduler)
    assert waiting.attempt == 1 and waiting.run_at == pytest.approx(world.clock.now() + 1, abs=0.01)
    [record] = await NudgeRecords(world.runtime.redis, KEYS).read(
        [Actor(platform="slack", tenant="T1", user="URATE")]
    )
    assert record.sent == 0  # given back: the retry sends it
    await world.later(2)
    await world.later(600)
    assert len(world.nudges("URATE")) == 1


async def test_a_post_that_failed_for_now_is_tried_again_in_five_minutes(slack_nudges: SlackNudges) -> None:
    world = slack_nudges
    await world.cohort("UFLAKY")
    scheduler = world.process()
    await world.later(60)
    world.api.fail_next("chat.postMessage", "internal_error")
    await world.later(3 * DAY)
    assert world.nudges("UFLAKY") == []
    [waiting] = await first_nudge_waiting(scheduler)
    assert waiting.run_at == pytest.approx(world.clock.now() + 300, abs=0.01)
    await world.later(299)
    assert world.nudges("UFLAKY") == []
    await world.later(1)
    assert len(world.nudges("UFLAKY")) == 1


async def test_a_process_killed_after_claiming_a_nudge_leaves_it_to_another_once(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.cohort("U1", "U2")
    survivor = world.process()
    await world.later(60)  # the sweep planned both nudges
    world.clock.advance(3 * DAY)
    dying = JobStore(world.runtime.redis, KEYS)
    claimed = nudge_jobs(await dying.claim(world.clock.now(), lease_s=60))
    assert len(claimed) == 2  # and the process is killed: it sends nothing
    await world.run()
    assert world.nudges("U1") == world.nudges("U2") == []  # the lease still holds
    await world.later(61)
    assert len(world.nudges("U1")) == 1 and len(world.nudges("U2")) == 1
    assert not await dying.finish(claimed[0], world.clock.now())  # taken over: too late to finish
    await world.later(3600)
    assert len(world.nudges("U1")) == 1 and len(world.nudges("U2")) == 1
    assert survivor.stats.done >= 2


async def test_a_process_killed_after_posting_is_not_followed_by_a_second_nudge(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.cohort("UPOST")
    dying, survivor = world.process(), world.process()
    await world.later(60)
    world.clock.advance(3 * DAY)
    [claimed] = nudge_jobs(await dying.store.claim(world.clock.now(), lease_s=60))
    await dying.handlers["nudge.slack"](claimed.job)  # posted, then killed before the job is done
    assert len(world.nudges("UPOST")) == 1
    await world.later(61, survivor)
    assert len(world.nudges("UPOST")) == 1
    assert await survivor.store.is_done(claimed.job.id)


async def test_a_restart_mid_schedule_keeps_every_nudge_once(slack_nudges: SlackNudges) -> None:
    world = slack_nudges
    await world.cohort("UA", "UB", started=("UA",))
    world.clock.advance(DAY)
    await world.started("UB")  # due a day after UA's
    before = world.process()
    await world.later(2 * DAY + 60)
    assert len(world.nudges("UA")) == 1 and world.nudges("UB") == []
    world.schedulers.remove(before)  # the process stops; a new one starts on the same Redis
    after = world.process()
    waiting = [job.id for job in await after.store.waiting() if job.kind == "nudge.slack"]
    assert any(":UB:" in job for job in waiting)
    await world.later(DAY)
    assert len(world.nudges("UA")) == 1 and len(world.nudges("UB")) == 1


async def test_a_clock_that_jumps_sends_one_nudge_per_stretch_and_nothing_twice(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.cohort("UJ")
    world.process()
    world.process()
    await world.later(60)
    await world.later(10 * DAY)  # forward past three nudge times at once: one nudge, not three
    assert len(world.nudges("UJ")) == 1
    for _ in range(6):
        await world.later(600)  # later sweeps do not bunch the rest up
    assert len(world.nudges("UJ")) == 1
    world.clock.set(world.clock.now() - 2 * DAY)  # and back
    for _ in range(6):
        await world.later(600)
    assert len(world.nudges("UJ")) == 1
    await world.later(5 * DAY)  # nudge-after after the first, by the clock as it is now
    assert len(world.nudges("UJ")) == 2
