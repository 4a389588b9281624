"""Typed `pause` through the real Bolt app: in a lab it is a word of what the learner says to
the advisor, and pauses nothing; out of a lab it pauses nudges, as `/tutor pause` does anywhere."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.domain.events import Actor
from bot.nudges.record import NudgeRecords
from bot.storage.keys import KeyBuilder
from tests.slack.harness import SlackHarness, message_text
from tests.slack.test_slack_app import open_first_lab

LEARNER = "UPAUSE1"


async def paused(redis: aioredis.Redis) -> bool:
    actor = Actor(platform="slack", tenant="T1", user=LEARNER)
    [record] = await NudgeRecords(redis, KeyBuilder("test")).read([actor])
    return record.paused_at is not None


def told_privately(slack: SlackHarness) -> str:
    return "\n".join(str(call.body.get("text", "")) for call in slack.api.of("chat.postEphemeral"))


async def test_pause_typed_in_a_lab_goes_to_the_advisor(slack: SlackHarness, redis: aioredis.Redis) -> None:
    await open_first_lab(slack, LEARNER)
    before = len(slack.dm_messages(LEARNER))
    await slack.dm(LEARNER, "pause")
    answer = "\n".join(message_text(m) for m in slack.dm_messages(LEARNER)[before:])
    assert "Exchanges:" in answer and slack.module.lessons[0].lab.advisor in answer  # a lab turn
    assert "Nudges are off" not in answer + told_privately(slack)
    assert not await paused(redis)

    await slack.command(LEARNER, "pause")  # the command pauses, in a lab too
    assert await paused(redis)


async def test_pause_typed_out_of_a_lab_pauses_nudges(slack: SlackHarness, redis: aioredis.Redis) -> None:
    await slack.command(LEARNER, "start")
    await slack.dm(LEARNER, "pause")
    assert "Nudges are off" in told_privately(slack)
    assert await paused(redis)
