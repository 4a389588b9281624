"""Automatic nudges on Slack, planned by the scheduler's own sweep and sent by two bot processes
at once: each once, naming where the learner stopped with a Resume button, in each learner's own
time zone (`users.info` `tz`), none while paused, and no more after `max-nudges` in a row until
the learner is active again."""

from __future__ import annotations

from bot.scheduler.store import JobStore
from tests.nudges.conftest import DAY, KEYS, SlackNudges, utc


async def test_two_processes_sweep_and_send_each_nudge_once_saying_where_the_learner_stopped(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.cohort("UIDLE", "UNEW", started=("UIDLE",))
    world.process()
    world.process()
    await world.later(3 * DAY - 60)
    assert world.nudges("UIDLE") == [] and world.nudges("UNEW") == []  # not three days yet
    waiting = [
        job for job in await JobStore(world.runtime.redis, KEYS).waiting() if job.kind == "nudge.slack"
    ]
    assert len(waiting) == 2  # the sweep planned both, once, however often it ran
    await world.later(120)
    await world.later(600)  # the next sweep plans again: nothing twice
    [idle] = world.nudges("UIDLE")
    assert idle.startswith(
        "You stopped at Lesson 1 · The Machine Learning Engineer, card 2 of 8 — about 3 minutes to finish. "
        "Pick up where you left off"
    ), idle
    [new] = world.nudges("UNEW")
    assert new.startswith("You have not started yet. Lesson 1 · The Machine Learning Engineer takes about")
    assert [b.label for b in world.slack.buttons("UNEW")] == ["Resume"]
    sent = [c for c in world.api.of("chat.postMessage") if "A nudge from your course" in str(c.body)]
    assert len(sent) == 2


async def test_after_max_nudges_in_a_row_none_until_the_learner_is_active_again(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.boss("create spring")
    await world.boss("policy spring quiet-hours off")
    await world.boss("policy spring max-nudges 2")
    await world.boss("policy spring nudge-after 1d")
    await world.boss("enrol spring <@UK>")
    await world.started("UK")
    world.process()
    for _ in range(5):
        await world.later(DAY + 60)
    sent = world.nudges("UK")
    assert len(sent) == 2  # then paused by itself
    assert "This is the last reminder." in sent[1] and "last reminder" not in sent[0]
    # Active again (`next` typed in the DM moves the lesson on): a new stretch, nudged a day later.
    await world.slack.dm("UK", "next")
    await world.later(DAY - 120)
    assert len(world.nudges("UK")) == 2
    await world.later(720)
    assert len(world.nudges("UK")) == 3


async def test_pause_stops_them_and_resume_starts_them_again_from_then(slack_nudges: SlackNudges) -> None:
    world = slack_nudges
    await world.cohort("UP")
    world.process()
    await world.later(60)  # the sweep plans the first nudge
    assert [job.kind for job in await JobStore(world.runtime.redis, KEYS).waiting()] == ["nudge.slack"]
    await world.slack.command("UP", "pause")
    await world.later(4 * DAY)  # the nudge due meanwhile is not sent
    await world.later(4 * DAY)
    assert world.nudges("UP") == []
    await world.slack.command("UP", "resume")
    assert "Card 2 of" in world.slack.dm_text("UP")  # and, as always, where they are
    await world.later(3 * DAY - 60)
    assert world.nudges("UP") == []  # resuming is activity: three days from the resume
    await world.later(720)
    assert len(world.nudges("UP")) == 1


async def test_any_activity_ends_a_pause(slack_nudges: SlackNudges) -> None:
    world = slack_nudges
    await world.cohort("UA")
    world.process()
    await world.slack.command("UA", "pause")
    await world.later(DAY)
    await world.slack.dm("UA", "next")  # back in the course without resuming
    await world.later(3 * DAY + 660)
    assert len(world.nudges("UA")) == 1


async def test_the_nudges_resume_button_takes_the_learner_back_and_counts_as_activity(
    slack_nudges: SlackNudges,
) -> None:
    world = slack_nudges
    await world.cohort("UR")
    world.process()
    await world.later(3 * DAY + 660)
    assert len(world.nudges("UR")) == 1
    await world.slack.click("UR", world.slack.button("UR", "resume"))
    assert "Card 2 of" in world.slack.dm_text("UR").rsplit("A nudge from your course", 1)[-1]
    await world.later(3 * DAY - 660)  # the stretch's second nudge would be due about now: not sent
    assert len(world.nudges("UR")) == 1
    await world.later(1320)  # three days after the press
    assert len(world.nudges("UR")) == 2


async def test_quiet_hours_hold_in_each_learners_own_slack_time_zone(slack_nudges: SlackNudges) -> None:
    world = slack_nudges
    world.api.users["UNY"] = {
        "tz": "America/New_York",
        "tz_label": "Eastern Standard Time",
        "tz_offset": -18000,
    }
    world.api.users["UTK"] = {"tz": "Asia/Tokyo", "tz_label": "Japan Standard Time", "tz_offset": 32400}
    await world.boss("create spring")  # quiet hours 21-8 (the default), cohort zone UTC
    await world.boss("enrol spring <@UNY> <@UTK>")
    await world.started("UNY", "UTK")  # Tuesday noon UTC: due Friday noon UTC
    world.process()
    world.process()
    await world.until(utc(2026, 12, 4, 12, 59))
    assert world.nudges("UNY") == []  # 07:59 in New York
    await world.later(60)
    assert len(world.nudges("UNY")) == 1  # 08:00 in New York
    await world.until(utc(2026, 12, 4, 22, 59))
    assert world.nudges("UTK") == []  # 07:59 on Saturday in Tokyo
    await world.later(60)
    assert len(world.nudges("UTK")) == 1 and len(world.nudges("UNY")) == 1
    asked = [
        call.body["user"] for call in world.api.of("users.info") if call.body.get("user") in ("UNY", "UTK")
    ]
    assert sorted(asked) == ["UNY", "UTK"]  # once each, then remembered


async def test_weekends_off_wait_for_monday_morning_in_each_zone(slack_nudges: SlackNudges) -> None:
    world = slack_nudges
    world.api.users["ULA"] = {"tz": "America/Los_Angeles"}
    world.api.users["UTK"] = {"tz": "Asia/Tokyo"}
    await world.boss("create spring")
    await world.boss("policy spring weekends off")
    await world.boss("enrol spring <@ULA> <@UTK>")
    world.clock.set(utc(2026, 12, 2, 10))  # Wednesday; due Saturday 10:00 UTC
    await world.started("ULA", "UTK")
    world.process()
    await world.until(utc(2026, 12, 6, 22, 59))
    assert world.nudges("UTK") == [] and world.nudges("ULA") == []
    await world.later(60)  # Monday 08:00 in Tokyo is Sunday 23:00 UTC
    assert len(world.nudges("UTK")) == 1 and world.nudges("ULA") == []
    await world.until(utc(2026, 12, 7, 15, 59))
    assert world.nudges("ULA") == []
    await world.later(60)  # Monday 08:00 in Los Angeles
    assert len(world.nudges("ULA")) == 1 and len(world.nudges("UTK")) == 1


async def test_the_preview_holds_back_a_learner_in_their_own_quiet_hours(slack_nudges: SlackNudges) -> None:
    world = slack_nudges
    world.api.users["UTK"] = {"tz": "Asia/Tokyo"}
    world.api.users["ULA"] = {"tz": "America/Los_Angeles"}
    await world.boss("create spring")
    await world.boss("enrol spring <@UTK> <@ULA>")
    await world.started("UTK", "ULA")
    world.clock.set(utc(2026, 12, 4, 16))  # Friday 16:00 UTC: 01:00 Saturday in Tokyo, 08:00 in LA
    shown = await world.boss("nudge spring")
    assert "1 learner(s) would be nudged now" in shown and "<@ULA>" in shown and "<@UTK>" not in shown
