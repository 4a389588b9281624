"""Automatic nudges on Discord through the real discord.py client and the fake API: in the
cohort's time zone (Discord tells none), into the DM, with a Resume button that acts on that
server's course; a learner Discord will not let the bot reach is logged and not tried again;
and a Discord process never takes a Slack learner's nudge job."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from bot.domain.events import Actor
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.harness import GUILD, click_payload, command_payload
from tests.discord.test_discord_app import buttons
from tests.discord.test_discord_cohort import L1, L2, L3
from tests.nudges.conftest import DAY, KEYS, DiscordNudges, SlackNudges, utc


async def test_a_nudge_waits_for_morning_in_the_cohorts_zone_and_resume_acts_on_its_server(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    h = world.harness
    await world.cohort(L1, timezone="Asia/Tokyo")
    await h.interaction(command_payload(L1, "start"))  # Tuesday noon UTC, 21:00 in Tokyo
    world.process()
    world.process()
    await world.later(utc(2026, 12, 4, 22, 59) - world.clock.now())  # due Friday 12:00 UTC
    assert world.nudges(L1) == []  # 07:59 on Saturday in Tokyo
    await world.later(60)
    [nudge] = world.nudges(L1)
    assert nudge["embeds"][0]["description"].startswith(
        "You stopped at Lesson 1 · The Machine Learning Engineer, card 1 of 8 — about 4 minutes to finish."
    )
    [resume] = [b for b in buttons(nudge) if b["label"] == "Resume"]
    await h.interaction(click_payload(L1, copy.deepcopy(nudge), resume["custom_id"]))  # in the DM
    [snapshot] = await RedisLearnerStore(world.runtime.redis, KEYS).snapshots(
        [Actor(platform="discord", tenant=GUILD, user=L1)], log_last=1
    )
    assert json.loads(snapshot.log[-1])["kind"] == "resumed"  # the server's course, active again
    await world.later(3 * DAY - 600)
    assert len(world.nudges(L1)) == 1  # three days from the press, not from the nudge's stretch


async def test_auto_pause_after_max_nudges_and_resume_through_the_subcommand(
    discord_nudges: DiscordNudges,
) -> None:
    world = discord_nudges
    h = world.harness
    await world.cohort(L1, quiet_hours="off", max_nudges="2")
    await h.interaction(command_payload(L1, "start"))
    world.process()
    for _ in range(4):
        await world.later(3 * DAY + 600)
    assert len(world.nudges(L1)) == 2  # then no more, by itself
    pause = command_payload(L1, "pause")
    await h.interaction(pause)
    assert "/tutor resume" in json.dumps(h.answer_to(pause["token"]))
    await h.interaction(command_payload(L1, "resume"))
    await world.later(3 * DAY - 600)
    assert len(world.nudges(L1)) == 2
    await world.later(1200)
    assert len(world.nudges(L1)) == 3  # three days after the resume


async def test_learners_discord_will_not_let_the_bot_reach_are_logged_and_not_tried_again(
    discord_nudges: DiscordNudges, caplog: pytest.LogCaptureFixture
) -> None:
    world = discord_nudges
    h = world.harness
    h.api.blocked.add(L1)  # DMs closed (403, 50007), and no course channel to go to instead
    h.api.unknown.add(L2)  # the account is gone (404, 10013)
    await world.cohort(L1, L2, L3, quiet_hours="off")
    world.process()
    caplog.set_level(logging.INFO, "tutorbot.nudges")
    await world.later(3 * DAY + 600)
    assert world.nudges(L1) == world.nudges(L2) == [] and len(world.nudges(L3)) == 1
    gone = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(gone) == 2
    for uid, code in ((L1, "dms closed, no course channel"), (L2, "code 10013")):
        [line] = [each for each in gone if f"discord:{GUILD}:{uid}" in each]
        assert f"nudge:discord:{GUILD}:{uid}:" in line and code in line
    calls = len(h.api.calls)
    await world.later(DAY)
    assert not any(L1 in json.dumps(c.body) or L2 in json.dumps(c.body) for c in h.api.calls[calls:])


async def test_a_discord_process_never_takes_a_slack_learners_nudge(
    discord_nudges: DiscordNudges, slack_nudges: SlackNudges
) -> None:
    discord, slack = discord_nudges, slack_nudges
    await slack.cohort("USL")
    slack.clock.set(discord.clock.now())
    only_discord = discord.process()
    await discord.later(3 * DAY + 600)  # the Discord process sweeps: it plans the Slack nudge...
    [job] = [job for job in await only_discord.store.waiting() if job.data.get("user") == "USL"]
    assert job.kind == "nudge.slack" and slack.nudges("USL") == []  # ...and leaves it for Slack
    slack.clock.set(discord.clock.now())
    await slack.run(slack.process())
    assert len(slack.nudges("USL")) == 1
