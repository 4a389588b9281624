"""`/tutor pause` and `/tutor resume` through the real Bolt app against the fake Web API: a
paused learner's due nudge is not sent and the private answer says how to undo the pause;
resuming clears it, says so, shows where they are, and their nudge goes out."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.cohorts.models import Tenant
from bot.cohorts.store import CohortStore
from bot.nudges.record import NudgeRecords
from bot.nudges.sweep import CohortNudge, plan_cohort, schedule_nudges
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore
from tests.fakes.slack_api import FakeSlackApi
from tests.shifted_clock import ShiftedClock
from tests.slack.harness import SlackHarness, message_text
from tests.slack.test_slack_cohort import admins
from tests.slack.test_slack_nudge_preview import DAY, KEYS, nudges_in_dm, run_scheduler

TENANT = Tenant(platform="slack", tenant="T1")


async def enrolled_and_started(slack: SlackHarness, slack_api: FakeSlackApi, user: str) -> None:
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create spring")
    await slack.cohort("UADMIN", "policy spring quiet-hours off")  # whatever the hour the test runs at
    await slack.cohort("UADMIN", f"enrol spring <@{user}>")
    await slack.command(user, "start")


async def planned(slack: SlackHarness, redis: aioredis.Redis, now: float) -> list[CohortNudge]:
    """The sweep's plan for the cohort, scheduled as the scheduler would."""
    store = slack.adapter.engine.store
    assert isinstance(store, RedisLearnerStore)
    cohorts = CohortStore(redis, KEYS)
    cohort = await cohorts.get(TENANT, "spring")
    assert cohort is not None
    nudges = await plan_cohort(
        cohorts, store, NudgeRecords(redis, KEYS), slack.adapter.engine.course, TENANT, cohort, now
    )
    await schedule_nudges(JobStore(redis, KEYS), TENANT, "spring", nudges)
    return nudges


def private_answers(slack_api: FakeSlackApi) -> list[str]:
    return [
        call.body.get("text", "")
        for call in slack_api.of("response_url")
        if call.body.get("response_type") == "ephemeral"
    ]


async def test_a_paused_learners_due_nudge_is_not_sent_and_the_answer_says_how_to_undo_it(
    make_slack: Any, slack_api: FakeSlackApi, redis: aioredis.Redis
) -> None:
    clock = ShiftedClock()
    slack: SlackHarness = make_slack(clock=clock.now)
    await enrolled_and_started(slack, slack_api, "UP")
    clock.shift(3 * DAY + 60)
    assert [n.user for n in await planned(slack, redis, clock.now())] == ["UP"]  # due now

    await slack.command("UP", "pause")
    answer = " ".join(private_answers(slack_api)[-1].split())
    assert "Nudges are off" in answer and "Type `/tutor resume` to turn them back on" in answer
    assert not any("Nudges are off" in message_text(m) for m in slack.dm_messages("UP"))  # only to them

    await run_scheduler(slack, redis, clock.now() + 60)
    assert nudges_in_dm(slack, "UP") == []


async def test_resume_clears_the_pause_says_so_and_nudges_start_again_from_then(
    make_slack: Any, slack_api: FakeSlackApi, redis: aioredis.Redis
) -> None:
    clock = ShiftedClock()
    slack: SlackHarness = make_slack(clock=clock.now)
    await enrolled_and_started(slack, slack_api, "UP")
    await slack.command("UP", "pause")
    clock.shift(3 * DAY + 60)
    assert await planned(slack, redis, clock.now()) == []  # paused: nothing to send

    await slack.command("UP", "resume")
    resumed_at = clock.now()
    answers = private_answers(slack_api)
    assert any("Nudges are back on" in a for a in answers)
    assert sum("Card 1 of 8" in message_text(m) for m in slack.dm_messages("UP")) == 2  # shown again
    # Resuming is the learner coming back: their next nudge is one nudge-after from now.
    [again] = await planned(slack, redis, clock.now())
    assert again.plan.number == 1 and again.plan.at == pytest.approx(resumed_at + 3 * DAY, abs=1)
    await run_scheduler(slack, redis, clock.now() + 60)
    assert nudges_in_dm(slack, "UP") == []
    clock.shift(3 * DAY + 60)
    await run_scheduler(slack, redis, clock.now())
    assert len(nudges_in_dm(slack, "UP")) == 1

    await slack.command("UP", "resume")  # not paused now: no "back on" again
    assert sum("Nudges are back on" in a for a in private_answers(slack_api)) == 1
