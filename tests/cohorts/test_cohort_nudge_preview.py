"""`/cohort nudge NAME` through the cohort service on the real Redis and the real scheduler:
who is listed, skip and edit, Send all once, the automatic nudge never on top, stale and
forged buttons refused."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from bot.cohorts.answers import Answer, AnswerButton, EditForm
from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.roster import learner_actor
from bot.course.models import Module
from bot.domain.messages import Paragraph
from bot.nudges.record import NudgeRecords
from bot.nudges.sender import nudge_handlers
from bot.nudges.sweep import plan_cohort, schedule_nudges
from bot.render.cohort_discord import render_answer_discord
from bot.render.cohort_slack import render_answer_slack
from bot.render.limits import discord_problems, slack_problems
from bot.render.slack import SlackMessage
from bot.scheduler.clock import ManualClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from tests.cohorts.conftest import KEYS, World, admin, member

DAY = 24 * 3600
TENANT = Tenant(platform="slack", tenant="T1")


async def spring(world: World) -> Cohort:
    found = await world.store.get(TENANT, "spring")
    assert found is not None
    return found


def button(answer: Answer, label: str) -> AnswerButton:
    found = [
        b for b in (*answer.buttons, *(b for item in answer.items for b in item.buttons)) if b.label == label
    ]
    assert found, f"no {label!r} button in {answer.text}"
    return found[0]


def sent(world: World) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for actor, message in world.outbox.sent:
        [block] = message.blocks
        assert isinstance(block, Paragraph)
        out.setdefault(actor.user, []).append(block.text)
    return out


async def test_skip_one_edit_one_send_all_once(world: World, module: Module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring quiet-hours off")
    await world.say(boss, "enrol spring <@UA0001> <@UB0002> <@UC0003> <@UD0004>")
    records = NudgeRecords(world.store.client, KEYS)
    await records.pause(learner_actor(TENANT, "UD0004"), world.clock[0] + 1)
    early = await world.say(boss, "nudge spring")
    assert early.ok and early.title.startswith("Nobody in `spring` would be nudged now. The next is due")

    world.clock[0] += 3 * DAY + 60
    jobs = JobStore(world.store.client, KEYS)
    # The automatic sweep got there first for everyone: their jobs wait in the scheduler.
    planned = await plan_cohort(
        world.store, world.learners, records, world.engine.course, TENANT, await spring(world), world.clock[0]
    )
    assert await schedule_nudges(jobs, TENANT, "spring", [n for n in planned if n.user != "UC0003"]) == 2

    shown = await world.say(boss, "nudge spring")
    assert shown.title == "`spring`: 3 learner(s) would be nudged now · page 1 of 1"
    assert [item.text.split("\n")[0].split(" · ")[0] for item in shown.items] == [
        "**1.** \ue000UA0001\ue001",
        "**2.** \ue000UB0002\ue001",
        "**3.** \ue000UC0003\ue001",
    ]  # the paused learner is left out
    assert all("You have not started yet." in item.text for item in shown.items)

    skipped = await world.service.press(boss, "nudge", button(shown, "Skip 2").value)
    assert "_Skipped: gets no nudge now._" in skipped.items[1].text
    assert [b.label for b in skipped.items[1].buttons] == ["Keep 2"]
    form = await world.service.form(boss, button(skipped, "Edit 3").value)
    assert isinstance(form, EditForm) and form.text.startswith("You have not started yet.")
    edited = await world.service.edited(boss, form.value, "  Hi! The course misses you.  ")
    assert "_Edited:_ Hi! The course misses you." in edited.items[2].text
    assert "2 to send · 1 skipped · 1 edited" in edited.sections[0]

    stranger = await world.service.press(member("UX0009"), "nudge", button(edited, "Send all (2)").value)
    assert not stranger.ok and "Only this cohort's facilitators" in stranger.title

    send = button(edited, "Send all (2)").value
    # A double click handled by two processes at once: one sends, the other is told.
    first, second = await asyncio.gather(
        world.service.press(boss, "nudge", send), world.service.press(boss, "nudge", send)
    )
    [done] = [answer for answer in (first, second) if answer.ok]
    assert done.title == "`spring`: 2 nudge(s) queued, going out over about a second · 1 skipped."
    [told] = [answer for answer in (first, second) if not answer.ok]
    assert "nothing more was sent" in told.title
    again = await world.service.press(boss, "nudge", send)
    assert not again.ok and "sent already; nothing more was sent" in again.title
    waiting = {job.data["user"]: job for job in await jobs.waiting()}
    assert set(waiting) == {"UA0001", "UC0003"}
    assert waiting["UC0003"].run_at - waiting["UA0001"].run_at == pytest.approx(1.4)  # spaced for Slack
    late_skip = await world.service.press(boss, "nudge", button(edited, "Skip 1").value)
    assert not late_skip.ok and "sent already" in late_skip.title

    clock = ManualClock(world.clock[0])
    scheduler = Scheduler(jobs, clock)
    for kind, handler in nudge_handlers(world.learners, world.outbox, "slack", clock=clock).items():
        scheduler.on(kind, handler)
    world.outbox.sent.clear()
    clock.advance(30)
    await scheduler.run_until_idle()
    # The sweep runs again: nothing more for anyone (sent, or skipped, for this stretch).
    planned = await plan_cohort(
        world.store, world.learners, records, world.engine.course, TENANT, await spring(world), clock.now()
    )
    await schedule_nudges(jobs, TENANT, "spring", [n for n in planned if n.plan.at <= clock.now()])
    await scheduler.run_until_idle()
    got = sent(world)
    assert set(got) == {"UA0001", "UC0003"}
    assert got["UC0003"] == ["Hi! The course misses you."]
    assert len(got["UA0001"]) == 1 and got["UA0001"][0].startswith("You have not started yet.")
    # The skip counted for the stretch: the skipped learner's next nudge is the second, later.
    later = {n.user: n for n in planned}
    assert later["UB0002"].plan.number == 2 and later["UB0002"].plan.at > clock.now() + DAY
    audit = await world.say(boss, "audit spring")
    assert "· nudge · 2 queued, 1 skipped, 1 edited" in audit.text


async def test_a_stale_or_forged_preview_is_refused(world: World, module: Module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring quiet-hours off")
    await world.say(boss, "enrol spring <@UA0001>")
    world.clock[0] += 3 * DAY + 60
    first = await world.say(boss, "nudge spring")
    second = await world.say(boss, "nudge spring")  # replaces the first
    old = await world.service.press(boss, "nudge", button(first, "Send all (1)").value)
    assert not old.ok and "out of date" in old.title and "`/cohort nudge spring`" in old.title
    assert await JobStore(world.store.client, KEYS).waiting() == []
    for forged in (
        button(second, "Skip 1").value.replace(":0", ":7"),
        button(second, "Send all (1)").value + ":x",
        "spring:zz:skip:0",
    ):
        answer = await world.service.press(boss, "nudge", forged)
        assert not answer.ok, forged
    form = await world.service.form(boss, button(second, "Edit 1").value[:-1] + "9")
    assert isinstance(form, Answer) and not form.ok
    other = await world.service.press(admin("UOTHER"), "nudge", button(second, "Send all (1)").value)
    assert not other.ok and "out of date" in other.title  # another facilitator's preview is not theirs
    outsider = await world.service.edited(member("UX0009"), button(second, "Edit 1").value, "Hello")
    assert not outsider.ok and "Only this cohort's facilitators" in outsider.title
    empty = await world.service.edited(boss, button(second, "Edit 1").value, "   ")
    assert not empty.ok and "empty nudge" in empty.title


def test_the_shell_lists_every_page_and_sends_with_yes(redis_url, monkeypatch, capsys) -> None:
    import redis as sync_redis

    from bot.cli import main
    from bot.cohorts.models import RosterEntry
    from bot.storage.keys import KeyBuilder

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    tenant = ["--tenant", "slack:TSHELLN"]
    users = [f"U00000{n:02d}" for n in range(6)]
    assert main(["cohort", "create", "dusk", *tenant]) == 0
    assert main(["cohort", "policy", "dusk", "quiet-hours", "off", *tenant]) == 0  # whatever the hour
    assert main(["cohort", "enrol", "dusk", *users, *tenant]) == 0
    roster = KeyBuilder("tutorbot").roster("slack", "TSHELLN", "dusk")
    client = sync_redis.Redis.from_url(redis_url)
    for user, raw in client.hgetall(roster).items():  # enrolled four days ago
        entry = RosterEntry.model_validate_json(raw)
        client.hset(
            roster,
            user,
            entry.model_copy(update={"enrolled_at": entry.enrolled_at - 4 * DAY}).model_dump_json(),
        )
    capsys.readouterr()
    assert main(["cohort", "nudge", "dusk", *tenant]) == 1
    out = capsys.readouterr().out
    assert "`dusk`: 6 learner(s) would be nudged now · page 1 of 2" in out
    assert all(f"@{user}" in out for user in users)  # both pages
    assert out.rstrip().endswith("Run it again with --yes to send them.")
    assert main(["cohort", "nudge", "dusk", *tenant, "--yes"]) == 0
    assert "`dusk`: 6 nudge(s) queued" in capsys.readouterr().out
    assert main(["cohort", "nudge", "dusk", *tenant, "--yes"]) == 0  # queued again: the same jobs
    assert asyncio.run(waiting_users(redis_url, "TSHELLN")) == users


async def waiting_users(url: str, tenant: str) -> list[str]:
    import redis.asyncio as aioredis

    from bot.storage.keys import KeyBuilder

    client = aioredis.from_url(url)
    try:
        waiting = await JobStore(client, KeyBuilder("tutorbot")).waiting()
    finally:
        await client.aclose()
    return sorted(job.data["user"] for job in waiting if job.data["tenant"] == tenant)


async def test_a_300_learner_preview_pages_within_both_platforms_and_sends_spaced(world: World) -> None:
    boss = admin()
    await world.say(boss, "create big")
    await world.say(boss, "policy big quiet-hours off")
    users = [f"U{n:05d}" for n in range(300)]
    await world.say(boss, "enrol big " + " ".join(f"<@{u}>" for u in users))
    world.clock[0] += 3 * DAY + 60
    page = await world.say(boss, "nudge big")
    seen: set[str] = set()
    pages = 0
    while True:
        pages += 1
        slack = render_answer_slack(page)
        blocks = json.loads(re.sub(r"<@(U\d{5})>", r"@\1", json.dumps(slack.blocks)))  # mentions are meant
        assert slack_problems(SlackMessage(text=slack.text, blocks=blocks)) == []
        assert discord_problems(render_answer_discord(page)) == []
        seen |= {item.text.split("\ue000")[1].split("\ue001")[0] for item in page.items}
        following = [b for b in page.buttons if b.label == "Next"]
        if not following:
            break
        page = await world.service.press(boss, "nudge", following[0].value)
    assert pages == 75 and seen == set(users)
    assert page.title == "`big`: 300 learner(s) would be nudged now · page 75 of 75"
    done = await world.service.press(boss, "nudge", button(page, "Send all (300)").value)
    assert done.title == "`big`: 300 nudge(s) queued, going out over about 7 minutes · 0 skipped."
    times = sorted(job.run_at for job in await JobStore(world.store.client, KEYS).waiting())
    assert len(times) == 300 and times[-1] - times[0] == pytest.approx(299 * 1.4)


async def test_the_preview_follows_the_cohorts_nudge_policy(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring quiet-hours off")
    await world.say(boss, "policy spring nudge-after 12h")
    await world.say(boss, "policy spring max-nudges 5")
    await world.say(boss, "enrol spring <@UA0001>")
    world.clock[0] += 11 * 3600
    assert (await world.say(boss, "nudge spring")).title.startswith("Nobody in `spring` would be nudged now.")
    world.clock[0] += 2 * 3600
    shown = await world.say(boss, "nudge spring")
    assert "· nudge 1 of 5 ·" in shown.items[0].text
    await world.say(boss, "policy spring quiet-hours 0-23")  # quiet nearly all day: not now
    assert (await world.say(boss, "nudge spring")).title.startswith("Nobody in `spring` would be nudged now.")
