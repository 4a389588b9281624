"""`/cohort nudge NAME` on Discord: the preview through the real discord.py client against the
fake API, Edit as a modal (interaction response type 9, then MODAL_SUBMIT), and the approved
nudges sent by the real scheduler through the Discord outbox into the learners' DMs."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from bot.nudges.sender import nudge_handlers
from bot.render.discord import DiscordPayload
from bot.render.limits import discord_problems
from bot.scheduler.clock import ManualClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.harness import MANAGE_GUILD, DiscordHarness, answer_click
from tests.discord.test_discord_cohort import BOSS, L1, L2, L3, PLAIN, boss, text
from tests.shifted_clock import ShiftedClock

DAY = 24 * 3600
KEYS = KeyBuilder("test")
NUDGE_HEADING = "A nudge from your course"


def labels(answer: dict[str, Any]) -> list[str]:
    return [b["label"] for row in answer.get("components", []) for b in row["components"]]


def nudges_in_dm(h: DiscordHarness, uid: str) -> list[str]:
    return [
        e.get("description", "")
        for m in h.api.in_channel(h.api.dm_of(uid))
        for e in m.get("embeds", [])
        if e.get("title") == NUDGE_HEADING
    ]


def last_callback(h: DiscordHarness) -> dict[str, Any]:
    calls = [c for c in h.api.calls if c.path.endswith("/callback")]
    body: dict[str, Any] = calls[-1].body
    return body


async def test_preview_skip_edit_and_send_all_on_discord(
    harness: DiscordHarness, clock: ShiftedClock, redis: aioredis.Redis
) -> None:
    h = harness
    await boss(h, "create", name="spring")
    await boss(h, "policy", name="spring", key="quiet-hours", value="off")  # whatever the hour
    for learner in (L1, L2, L3):
        await boss(h, "enrol", name="spring", user_id=learner)
    clock.shift(3 * DAY + 60)

    shown = await boss(h, "nudge", name="spring")
    assert "3 learner(s) would be nudged now" in text(shown)
    payload = DiscordPayload(embeds=shown["embeds"], components=shown["components"])
    assert discord_problems(payload) == []
    assert len(shown["components"]) <= 5
    for n, learner in enumerate((L1, L2, L3), 1):
        assert f"**{n}.** <@{learner}>" in text(shown)
    assert labels(shown) == ["Skip 1", "Edit 1", "Skip 2", "Edit 2", "Skip 3", "Edit 3", "Send all (3)"]

    refused = await h.cohort_click(PLAIN, shown, "Send all (3)")
    assert "Only this cohort's facilitators" in text(refused)
    await h.interaction(answer_click(PLAIN, shown, "Edit 1"))
    assert h.api.modals == []  # no form for someone without the rights
    assert "Only this cohort's facilitators" in last_callback(h)["data"]["content"]

    skipped = await h.cohort_click(BOSS, shown, "Skip 2", permissions=MANAGE_GUILD)
    assert "Skipped: gets no nudge now." in text(skipped) and "Keep 2" in labels(skipped)
    modal, edited = await h.cohort_edit(
        BOSS, skipped, "Edit 3", "Hi @everyone, your quiz waits!", permissions=MANAGE_GUILD
    )
    assert modal["title"] == "Edit nudge"
    assert modal["components"][0]["components"][0]["value"].startswith("You have not started yet.")
    assert "_Edited:_ Hi @everyone, your quiz waits!" in text(edited)
    assert "2 to send · 1 skipped · 1 edited" in text(edited)

    done = await h.cohort_click(BOSS, edited, "Send all (2)", permissions=MANAGE_GUILD)
    assert (
        "2 nudge(s) queued" in text(done) and "1 skipped" in text(done) and "sent already" not in text(done)
    )
    twice = await h.cohort_click(BOSS, edited, "Send all (2)", permissions=MANAGE_GUILD)
    assert "sent already; nothing more was sent" in text(twice)

    store = h.adapter.engine.store
    assert isinstance(store, RedisLearnerStore)
    at = ManualClock(clock.now() + 60)
    scheduler = Scheduler(
        JobStore(redis, KEYS), at, nudge_handlers(store, h.adapter.outbox, "discord", clock=at)
    )
    await scheduler.run_until_idle()
    await h.settle()
    assert nudges_in_dm(h, L1) == [
        "You have not started yet. Lesson 1 · The Machine Learning Engineer takes about 4 minutes. "
        "Pick up where you left off whenever you are ready. Type `pause` if you'd rather not get these reminders."
    ]
    assert nudges_in_dm(h, L2) == []
    assert nudges_in_dm(h, L3) == ["Hi @everyone, your quiz waits!"]
    posted = [c.body for c in h.api.calls if c.method == "POST" and "quiz waits" in str(c.body)]
    assert posted and all(body["allowed_mentions"] == {"parse": []} for body in posted)  # pings nobody


async def test_a_stale_preview_says_so_on_discord(harness: DiscordHarness, clock: ShiftedClock) -> None:
    h = harness
    await boss(h, "create", name="spring")
    await boss(h, "policy", name="spring", key="quiet-hours", value="off")  # whatever the hour
    await boss(h, "enrol", name="spring", user_id=L1)
    clock.shift(3 * DAY + 60)
    first = await boss(h, "nudge", name="spring")
    await boss(h, "nudge", name="spring")
    stale = await h.cohort_click(BOSS, first, "Send all (1)", permissions=MANAGE_GUILD)
    assert "out of date" in text(stale) and "`/cohort nudge spring`" in text(stale)
    await h.interaction(answer_click(BOSS, first, "Edit 1", permissions=MANAGE_GUILD))
    assert h.api.modals == [] and "out of date" in last_callback(h)["data"]["content"]
