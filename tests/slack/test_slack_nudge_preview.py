"""`/cohort nudge NAME` in Slack: the preview through the real Bolt app and slack-sdk against
the fake Web API, the Edit modal through `views.open` and a `view_submission`, and the approved
nudges sent by the real scheduler through the Slack outbox into the learners' DMs."""

from __future__ import annotations

import json
import re
from typing import Any

import redis.asyncio as aioredis

from bot.nudges.sender import nudge_handlers
from bot.render.limits import slack_problems
from bot.render.slack import SlackMessage
from bot.scheduler.clock import ManualClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.fakes.slack_api import FakeSlackApi
from tests.shifted_clock import ShiftedClock
from tests.slack.harness import CHANNEL, CohortReply, SlackHarness, click_body, message_text
from tests.slack.test_slack_cohort import admins

DAY = 24 * 3600
KEYS = KeyBuilder("test")
NUDGE_HEADING = "A nudge from your course"


def nudges_in_dm(slack: SlackHarness, user: str) -> list[str]:
    texts = [message_text(m) for m in slack.dm_messages(user)]
    return [t.split("\n", 1)[1] for t in texts if t.startswith(NUDGE_HEADING)]


def within_limits(reply: CohortReply) -> None:
    blocks = json.loads(re.sub(r"<@(U[A-Z0-9]+)>", r"@\1", json.dumps(reply.blocks)))  # mentions are meant
    assert slack_problems(SlackMessage(text=reply.body["text"], blocks=blocks)) == []


async def run_scheduler(slack: SlackHarness, redis: aioredis.Redis, at: float) -> None:
    store = slack.adapter.engine.store
    assert isinstance(store, RedisLearnerStore)
    clock = ManualClock(at)
    scheduler = Scheduler(
        JobStore(redis, KEYS), clock, nudge_handlers(store, slack.adapter.outbox, "slack", clock=clock)
    )
    await scheduler.run_until_idle()
    await slack.settle()


async def test_preview_skip_edit_and_send_all_in_slack(
    make_slack: Any, slack_api: FakeSlackApi, redis: aioredis.Redis
) -> None:
    clock = ShiftedClock()
    slack: SlackHarness = make_slack(clock=clock.now)
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create spring")
    await slack.cohort("UADMIN", "policy spring quiet-hours off")  # whatever the hour the test runs at
    await slack.cohort("UADMIN", "enrol spring <@UL00001> <@UL00002> <@UL00003> <@UL00004>")
    clock.shift(3 * DAY + 60)
    await slack.command("UL00004", "start")  # active again just now: not due

    reply = await slack.cohort("UADMIN", "nudge spring")
    assert reply.ephemeral and "3 learner(s) would be nudged now" in reply.text
    within_limits(reply)
    for n, user in enumerate(("UL00001", "UL00002", "UL00003"), 1):
        assert f"*{n}.* <@{user}>" in reply.text
    assert "<@UL00004>" not in reply.text
    assert reply.text.count("You have not started yet.") == 3
    labels = [b["text"]["text"] for b in reply.buttons]
    assert labels == ["Skip 1", "Edit 1", "Skip 2", "Edit 2", "Skip 3", "Edit 3", "Send all (3)"]

    refused = await slack.cohort_click("UPLAIN", reply, "Send all (3)")
    assert "Only this cohort's facilitators" in refused.text
    assert await JobStore(redis, KEYS).waiting() == []

    skipped = await slack.cohort_click("UADMIN", reply, "Skip 2")
    assert skipped.body.get("replace_original") is True
    assert "Skipped: gets no nudge now." in skipped.text
    assert "Keep 2" in [b["text"]["text"] for b in skipped.buttons]
    view, edited = await slack.cohort_edit("UADMIN", skipped, "Edit 3", "Hi <!channel>, your quiz waits!")
    assert view["blocks"][0]["element"]["initial_value"].startswith("You have not started yet.")
    assert edited is not None and edited.body.get("replace_original") is True
    assert "_Edited:_ Hi &lt;!channel&gt;, your quiz waits!" in edited.text  # escaped: notifies nobody
    assert "2 to send · 1 skipped · 1 edited" in edited.text
    _, nothing = await slack.cohort_edit("UADMIN", edited, "Edit 1", "   ")
    assert nothing is None  # the modal said why and stays open

    done = await slack.cohort_click("UADMIN", edited, "Send all (2)")
    assert "2 nudge(s) queued" in done.text and "1 skipped" in done.text and "sent already" not in done.text
    twice = await slack.cohort_click("UADMIN", edited, "Send all (2)")
    assert "sent already; nothing more was sent" in twice.text

    await run_scheduler(slack, redis, clock.now() + 60)
    assert nudges_in_dm(slack, "UL00001") == [
        "You have not started yet. Lesson 1 · The Machine Learning Engineer takes about 4 minutes. "
        "Pick up where you left off whenever you are ready. Type pause if you'd rather not get these reminders."
    ]
    assert nudges_in_dm(slack, "UL00002") == []
    assert nudges_in_dm(slack, "UL00003") == ["Hi <!channel>, your quiz waits!"]
    assert nudges_in_dm(slack, "UL00004") == []
    wire = [json.dumps(c.body.get("blocks")) for c in slack_api.of("chat.postMessage")]
    edited_posts = [blocks for blocks in wire if "quiz waits" in blocks]
    assert len(edited_posts) == 1 and "&lt;!channel&gt;" in edited_posts[0]  # notifies nobody
    await run_scheduler(slack, redis, clock.now() + 120)  # nothing left to send twice
    assert len(nudges_in_dm(slack, "UL00001")) == len(nudges_in_dm(slack, "UL00003")) == 1


async def test_a_stale_preview_says_so_in_slack(make_slack: Any, slack_api: FakeSlackApi) -> None:
    clock = ShiftedClock()
    slack: SlackHarness = make_slack(clock=clock.now)
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create spring")
    await slack.cohort("UADMIN", "policy spring quiet-hours off")  # whatever the hour the test runs at
    await slack.cohort("UADMIN", "enrol spring <@UL00001>")
    clock.shift(3 * DAY + 60)
    first = await slack.cohort("UADMIN", "nudge spring")
    await slack.cohort("UADMIN", "nudge spring")
    stale = await slack.cohort_click("UADMIN", first, "Skip 1")
    assert "out of date" in stale.text and stale.body.get("replace_original") is not True
    edit = next(b for b in first.buttons if b["text"]["text"] == "Edit 1")
    opened = len(slack_api.views)
    hook = "stale-edit"
    body = click_body(
        "T1",
        "UADMIN",
        edit["value"],
        channel=CHANNEL,
        ts=None,
        response_url=slack_api.response_url(hook),
        action_id=edit["action_id"],
    )
    await slack.dispatch(body, "application/x-www-form-urlencoded")
    await slack.settle()
    assert len(slack_api.views) == opened  # no modal for a stale preview
    assert "out of date" in slack.cohort_reply(hook).text
