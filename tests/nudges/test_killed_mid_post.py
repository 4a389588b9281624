"""A process killed while it posts a nudge, on Slack and on Discord: after counting it but
before the post reached the platform, the process that takes the job over sends it, once;
after the post reached the platform but before the answer came back, the takeover sends
nothing more. Either way the learner has exactly one nudge: on Discord also when every process
was down past its nonce window (the DM, or the course thread, is read), and when Discord could
not be asked at first (asked again later)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import pytest

from bot.adapters.platform import note
from bot.course.models import Module
from bot.domain.events import Actor
from bot.domain.outbox import PostOnce
from bot.nudges.record import NudgeRecords
from bot.nudges.sender import RETRY_S
from bot.releases.announce import release_message
from bot.scheduler.job import Claimed
from bot.scheduler.runner import Scheduler
from tests.discord.harness import CHANNEL, GUILD, command_payload
from tests.discord.test_discord_cohort import L1
from tests.fakes.discord_api import DISCORD_EPOCH_MS
from tests.fakes.discord_api import Call as DiscordCall
from tests.fakes.slack_api import Call
from tests.nudges.conftest import DAY, KEYS, NUDGE_HEADING, DiscordNudges, Processes, SlackNudges


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


async def discord_nudge_due(
    world: DiscordNudges, *, closed_dms: bool = False
) -> tuple[Scheduler, Scheduler, Claimed]:
    """L1 started the course and went quiet; two processes run, and the one about to die has
    claimed L1's first nudge. Returns it, the other, and the claim. With `closed_dms`, L1's
    DMs are closed and their course goes on in a private thread of the server's course channel."""
    h = world.harness
    await world.cohort(L1, quiet_hours="off")
    if closed_dms:
        await h.adapter.handlers.places.threads.set_channel(GUILD, CHANNEL)
        h.api.blocked.add(L1)
    await h.interaction(command_payload(L1, "start"))
    dying, survivor = world.process(), world.process()
    return dying, survivor, await due_nudge(world, dying, "nudge.discord")


async def posted_then_killed(world: DiscordNudges, dying: Scheduler, claimed: Claimed) -> None:
    """The dying process counts the nudge and posts it; Discord makes the message, and the
    process dies before Discord's answer reaches it."""
    api = world.harness.api
    running = asyncio.create_task(dying.handlers["nudge.discord"](claimed.job))

    def die_once_created(message: dict) -> None:  # type: ignore[type-arg]
        running.cancel()  # Discord has the message; its answer never reaches the process

    api.on_create.append(die_once_created)
    await killed(running)
    api.on_create.remove(die_once_created)


def nudge_creates(world: DiscordNudges, channel: str) -> list[dict]:  # type: ignore[type-arg]
    """The message creates that carried a nudge's key (its nonce) to `channel`."""
    api = world.harness.api
    return [c.body for c in api.of("POST", f"/channels/{channel}/messages") if "nonce" in c.body]


def history_reads(world: DiscordNudges, channel: str) -> list[DiscordCall]:
    return world.harness.api.of("GET", f"/channels/{channel}/messages")


def nudges_in_thread(world: DiscordNudges, user: str) -> list[dict]:  # type: ignore[type-arg]
    api = world.harness.api
    thread = api.thread_of(user)
    assert thread is not None
    return [
        m
        for m in api.in_channel(thread["id"])
        if any(e.get("title") == NUDGE_HEADING for e in m.get("embeds", []))
    ]


async def all_down_for_ten_minutes(world: DiscordNudges) -> Scheduler:
    """Every process is down for ten minutes, past Discord's nonce window; then one starts."""
    world.schedulers.clear()
    world.clock.advance(600)
    return world.process()


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
    await posted_then_killed(world, dying, claimed)
    assert len(world.nudges(L1)) == 1
    await world.later(61, survivor)  # the same create again, with the same nonce
    creates = nudge_creates(world, api.dm_of(L1))
    assert len(creates) == 2 and creates[0]["nonce"] == creates[1]["nonce"]
    assert history_reads(world, api.dm_of(L1)) == [], "within the nonce window Discord is not asked"
    assert len(world.nudges(L1)) == 1
    await world.later(3600, survivor)
    assert len(world.nudges(L1)) == 1
    assert await survivor.store.is_done(claimed.job.id)


async def test_discord_takeover_past_the_nonce_window_finds_the_post_in_the_dm_and_sends_nothing_more(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    dying, _, claimed = await discord_nudge_due(world)
    dm = world.harness.api.dm_of(L1)
    claimed_at = world.clock.now()
    await posted_then_killed(world, dying, claimed)
    survivor = await all_down_for_ten_minutes(world)
    await world.later(1, survivor)
    assert len(world.nudges(L1)) == 1
    assert len(nudge_creates(world, dm)) == 1, "Discord forgot the nonce: a create would have made a second"
    [read] = history_reads(world, dm)
    after = int(read.query["after"])  # the messages from the claim on, less a few seconds of skew
    assert claimed_at - 10 < ((after >> 22) + DISCORD_EPOCH_MS) / 1000 <= claimed_at
    assert await survivor.store.is_done(claimed.job.id)
    await world.later(3600, survivor)
    assert len(world.nudges(L1)) == 1


async def test_discord_takeover_past_the_nonce_window_when_the_post_never_went_out_sends_it_once(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    _, _, claimed = await discord_nudge_due(world)
    actor = Actor(platform="discord", tenant=GUILD, user=L1)
    await counted(world, claimed, actor)
    world.clock.advance(1)
    await world.harness.adapter.outbox.post_card(actor, note("Cohort spring meets on Friday."))
    survivor = await all_down_for_ten_minutes(world)
    await world.later(1, survivor)
    [nudge] = world.nudges(L1)  # the bot's other message since the claim is not it
    assert "stopped at" in nudge["embeds"][0]["description"]
    assert len(history_reads(world, world.harness.api.dm_of(L1))) == 1, "asked before posting"
    assert await survivor.store.is_done(claimed.job.id)
    await world.later(3600, survivor)
    assert len(world.nudges(L1)) == 1


@pytest.mark.parametrize("reached", [False, True], ids=["never-went-out", "went-out"])
async def test_discord_history_read_refused_the_nudge_waits_and_is_then_sent_exactly_once(
    discord_nudges: DiscordNudges, reached: bool
) -> None:
    world = discord_nudges
    dying, _, claimed = await discord_nudge_due(world)
    api = world.harness.api
    if reached:
        await posted_then_killed(world, dying, claimed)
    else:
        await counted(world, claimed, Actor(platform="discord", tenant=GUILD, user=L1))
    api.history_refusals = 1  # 403 Missing Access: Discord cannot say now whether it went out
    survivor = await all_down_for_ten_minutes(world)
    await world.later(1, survivor)
    assert len(world.nudges(L1)) == (1 if reached else 0), "nothing posted while it cannot be asked"
    assert not await survivor.store.is_done(claimed.job.id), "tried again later"
    await world.later(RETRY_S, survivor)
    assert len(history_reads(world, api.dm_of(L1))) == 2
    assert len(world.nudges(L1)) == 1
    assert len(nudge_creates(world, api.dm_of(L1))) == 1
    assert await survivor.store.is_done(claimed.job.id)
    await world.later(3600, survivor)
    assert len(world.nudges(L1)) == 1


async def test_discord_takeover_past_the_nonce_window_finds_the_post_in_the_course_thread(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    dying, _, claimed = await discord_nudge_due(world, closed_dms=True)
    await posted_then_killed(world, dying, claimed)
    assert len(nudges_in_thread(world, L1)) == 1 and world.nudges(L1) == []
    survivor = await all_down_for_ten_minutes(world)
    await world.later(1, survivor)
    assert len(nudges_in_thread(world, L1)) == 1
    thread = world.harness.api.thread_of(L1)
    assert thread is not None and len(history_reads(world, thread["id"])) == 1
    assert await survivor.store.is_done(claimed.job.id)
    await world.later(3600, survivor)
    assert len(nudges_in_thread(world, L1)) == 1 and world.nudges(L1) == []


async def test_discord_course_thread_whose_history_the_bot_may_not_read_is_not_taken_for_empty(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    dying, _, claimed = await discord_nudge_due(world, closed_dms=True)
    api = world.harness.api
    await posted_then_killed(world, dying, claimed)
    thread = api.thread_of(L1)
    assert thread is not None
    api.history_hidden.add(thread["id"])  # no Read Message History: Discord answers with nothing
    survivor = await all_down_for_ten_minutes(world)
    await world.later(1, survivor)
    assert len(nudges_in_thread(world, L1)) == 1, "an empty answer is not proof that it never went out"
    assert not await survivor.store.is_done(claimed.job.id)
    api.history_hidden.clear()  # the permission is granted
    await world.later(RETRY_S, survivor)
    assert len(nudges_in_thread(world, L1)) == 1
    assert await survivor.store.is_done(claimed.job.id)


async def test_discord_claim_of_unknown_time_is_looked_for_among_the_latest_messages(
    discord_nudges: DiscordNudges, module: Module
) -> None:
    """A release mark of an older version says no time: the DM's latest messages are read."""
    world = discord_nudges
    h = world.harness
    await h.interaction(command_payload(L1, "start"))
    actor = Actor(platform="discord", tenant=GUILD, user=L1)
    lesson2, lesson3 = (release_message(module, lesson) for lesson in module.lessons[1:3])
    assert await h.adapter.outbox.post_card(actor, lesson2, PostOnce("release:2"))
    world.clock.advance(DAY)
    assert not await h.adapter.outbox.post_card(actor, lesson2, PostOnce("release:2", DAY, claimed_at=None))
    assert await h.adapter.outbox.post_card(actor, lesson3, PostOnce("release:3", DAY, claimed_at=None))
    reads = history_reads(world, h.api.dm_of(L1))
    assert len(reads) == 2 and all("after" not in read.query for read in reads)
    titles = [e.get("title") for m in h.api.in_channel(h.api.dm_of(L1)) for e in m.get("embeds", [])]
    assert titles.count("Lesson 2 is open") == 1 and titles.count("Lesson 3 is open") == 1
