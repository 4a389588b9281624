"""A process killed while it posts a nudge, on Slack and on Discord: after counting it but
before the post reached the platform, the process that takes the job over sends it, once;
after the post reached the platform but before the answer came back, the takeover sends
nothing more. Either way the learner has exactly one nudge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import pytest

from bot.domain.events import Actor
from bot.nudges.record import NudgeRecords
from bot.scheduler.job import Claimed
from bot.scheduler.runner import Scheduler
from tests.discord.harness import GUILD, command_payload
from tests.discord.test_discord_cohort import L1, boss
from tests.fakes.slack_api import Call
from tests.nudges.conftest import DAY, KEYS, DiscordNudges, Processes, SlackNudges


async def due_nudge(world: Processes, dying: Scheduler, kind: str) -> Claimed:
    """The learner's first nudge, planned and due, claimed by the process about to die."""
    await world.later(60)  # the sweep planned it
    world.clock.advance(3 * DAY)
    [claimed] = [c for c in await dying.store.claim(world.clock.now(), lease_s=60) if c.job.kind == kind]
    return claimed


async def killed(work: Awaitable[None]) -> None:
    """`work` runs until the test stops it (the process dies)."""
    with pytest.raises(asyncio.CancelledError):
        await work


async def counted(world: SlackNudges | DiscordNudges, claimed: Claimed, actor: Actor) -> None:
    """What the dying process did before it was killed: count the nudge as its job's."""
    records = NudgeRecords(world.runtime.redis, KEYS)
    stretch = float(claimed.job.data["stretch"])
    assert await records.claim_send(actor, stretch, 1, world.clock.now(), claimed.job.id)


# ---- Slack ---------------------------------------------------------------------------------


async def test_slack_killed_after_counting_before_posting_the_takeover_sends_it_once(
    slack_nudges: SlackNudges, caplog: pytest.LogCaptureFixture
) -> None:
    world = slack_nudges
    await world.cohort("UCUT")
    dying, survivor = world.process(), world.process()
    claimed = await due_nudge(world, dying, "nudge.slack")
    await counted(world, claimed, Actor(platform="slack", tenant="T1", user="UCUT"))
    caplog.set_level(logging.INFO, "tutorbot.nudges")
    await world.later(61, survivor)  # the lease ran out
    assert len(world.nudges("UCUT")) == 1
    [looked] = world.api.of("conversations.history")  # asked before posting: it was not there
    assert looked.body["channel"] == world.slack.dm_channel("UCUT")
    assert looked.body["include_all_metadata"] in ("1", "true") and looked.body["limit"] == "20"
    assert any(claimed.job.id in r.getMessage() and "sent to" in r.getMessage() for r in caplog.records)
    await world.later(3600, survivor)
    assert len(world.nudges("UCUT")) == 1
    assert await survivor.store.is_done(claimed.job.id)


async def test_slack_killed_after_the_post_reached_slack_the_takeover_sends_nothing_more(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.cohort("UPOST")
    dying, survivor = world.process(), world.process()
    claimed = await due_nudge(world, dying, "nudge.slack")
    posts = len(world.api.of("chat.postMessage"))
    running = asyncio.create_task(dying.handlers["nudge.slack"](claimed.job))

    def die_once_posted(call: Call) -> None:
        if call.method == "chat.postMessage":
            running.cancel()  # Slack has the message; its answer never reaches the process

    world.api.listeners.append(die_once_posted)
    await killed(running)
    world.api.listeners.remove(die_once_posted)
    [message] = [m for m in world.slack.dm_messages("UPOST") if m.metadata is not None]
    assert message.metadata == {"event_type": "tutorbot_post", "event_payload": {"key": claimed.job.id}}
    await world.later(61, survivor)
    assert len(world.nudges("UPOST")) == 1
    assert len(world.api.of("chat.postMessage")) == posts + 1  # the takeover found it, posted none
    assert len(world.api.of("conversations.history")) == 1
    await world.later(3600, survivor)
    assert len(world.nudges("UPOST")) == 1
    assert await survivor.store.is_done(claimed.job.id)


# ---- Discord -------------------------------------------------------------------------------


async def discord_nudge_due(world: DiscordNudges) -> tuple[Scheduler, Scheduler, Claimed]:
    """L1 started the course and went quiet; two processes run, and the one about to die has
    claimed L1's first nudge. Returns it, the other, and the claim."""
    h = world.harness
    await boss(h, "create", name="spring")
    await boss(h, "policy", name="spring", key="quiet-hours", value="off")
    await boss(h, "enrol", name="spring", user_id=L1)
    await h.interaction(command_payload(L1, "start"))
    dying, survivor = world.process(), world.process()
    return dying, survivor, await due_nudge(world, dying, "nudge.discord")


async def test_discord_killed_after_counting_before_posting_the_takeover_sends_it_once(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    dying, survivor, claimed = await discord_nudge_due(world)
    await counted(world, claimed, Actor(platform="discord", tenant=GUILD, user=L1))
    await world.later(61, survivor)
    [nudge] = world.nudges(L1)
    assert nudge["nonce"] and len(nudge["nonce"]) <= 25
    [create] = [c for c in world.harness.api.of("POST", "/messages") if c.body.get("nonce") == nudge["nonce"]]
    assert create.body["enforce_nonce"] is True
    await world.later(3600, survivor)
    assert len(world.nudges(L1)) == 1
    assert await survivor.store.is_done(claimed.job.id)


async def test_discord_killed_after_the_post_reached_discord_the_takeover_sends_nothing_more(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    dying, survivor, claimed = await discord_nudge_due(world)
    api = world.harness.api
    running = asyncio.create_task(dying.handlers["nudge.discord"](claimed.job))

    def die_once_created(message: dict) -> None:  # type: ignore[type-arg]
        running.cancel()  # Discord has the message; its answer never reaches the process

    api.on_create.append(die_once_created)
    await killed(running)
    api.on_create.remove(die_once_created)
    assert len(world.nudges(L1)) == 1
    await world.later(61, survivor)  # the same create again, with the same nonce
    creates = [c.body for c in api.of("POST", f"/channels/{api.dm_of(L1)}/messages") if "nonce" in c.body]
    assert len(creates) == 2 and creates[0]["nonce"] == creates[1]["nonce"]
    assert len(world.nudges(L1)) == 1
    await world.later(3600, survivor)
    assert len(world.nudges(L1)) == 1
    assert await survivor.store.is_done(claimed.job.id)


async def test_discord_takeover_past_the_nonce_window_does_not_risk_a_second_nudge(
    discord_nudges: DiscordNudges, caplog: pytest.LogCaptureFixture
) -> None:
    world = discord_nudges
    _, _, claimed = await discord_nudge_due(world)
    await counted(world, claimed, Actor(platform="discord", tenant=GUILD, user=L1))
    world.schedulers.clear()  # every process is down for ten minutes; then one starts
    world.clock.advance(600)
    survivor = world.process()
    caplog.set_level(logging.INFO)
    await world.later(1, survivor)
    assert world.nudges(L1) == []
    assert any("past the nonce window" in r.getMessage() for r in caplog.records)
    assert await survivor.store.is_done(claimed.job.id)
