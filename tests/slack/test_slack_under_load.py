"""Slack's rate limits kept under load: many learners in labs at once, against the fake Web API
enforcing the tiers with real 429s. Draft edits thin out, real replies go first, none is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.budget import Limit, SlackBudget
from bot.adapters.slack.outbox import SlackOutbox
from bot.domain.events import Actor
from bot.domain.messages import AdvisorReply, Message, ReplyProgress
from bot.storage.keys import KeyBuilder
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import BOT_TOKEN, SlackHarness, message_text
from tests.slack.test_slack_app import SlowAdvisor, open_first_lab

QUESTION = "What does a junior ML engineer spend most of the week doing?"
FINAL = "What would you like to know next?"

# Slack's Tier 3 for chat.update, sped up: 20 calls per 4 s for the fake, a little less for us.
FAKE_UPDATES = (20, 4.0)
OUR_UPDATES = Limit(calls=18, per_s=4.0, burst=6)


def strict_budget(redis: aioredis.Redis) -> SlackBudget:
    roomy = Limit(1000, 1.0, 100)
    return SlackBudget(
        redis,
        KeyBuilder("test"),
        limits={
            "chat.update": OUR_UPDATES,
            "chat.delete": roomy,
            "conversations.open": roomy,
            "chat.postEphemeral": roomy,
        },
        post_per_channel=Limit(1, 1.1, 3),
    )


def edits_of(api: FakeSlackApi, user: str) -> int:
    channel = f"D{user}"[:20]
    return sum(1 for c in api.of("chat.update") if c.body.get("channel") == channel and c.ok)


async def ask_all(harness: SlackHarness, users: list[str]) -> None:
    await asyncio.gather(*(harness.dm(user, QUESTION, settle=False) for user in users))
    await harness.settle()


async def test_draft_edits_thin_out_under_load_and_every_final_reply_arrives(
    make_slack: Callable[..., SlackHarness], slack_api: FakeSlackApi, redis: aioredis.Redis
) -> None:
    setup = make_slack()  # gets everyone to a lab quickly (a roomy budget)
    alone, crowd = "UALONE", [f"U{n:03d}" for n in range(12)]
    for user in [alone, *crowd]:
        await open_first_lab(setup, user)

    # The same app, now keeping Slack's limits, against a Web API that enforces them.
    advisor = SlowAdvisor(pieces=30, delay=0.05)  # about 1.5 s of streaming per reply
    app = make_slack(advisor, edit_interval_s=0.1, budget=strict_budget(redis))
    slack_api.enforce_tiers = True
    slack_api.tiers = {"chat.update": FAKE_UPDATES}

    await ask_all(app, [alone])
    edits_alone = edits_of(slack_api, alone)
    assert edits_alone >= 5  # streamed: the draft was filled in several times
    await asyncio.sleep(4)  # let the budget refill

    await ask_all(app, crowd)

    for user in crowd:
        shown = [message_text(m) for m in app.dm_messages(user)]
        assert FINAL in shown[-1] and "Exchanges: 1 of 3" in shown[-1], user  # nobody left without it
        assert not any("▌" in text for text in shown), user  # no draft left behind
    per_reply = [edits_of(slack_api, user) for user in crowd]
    assert sum(per_reply) / len(per_reply) < edits_alone / 2, (edits_alone, per_reply)
    assert slack_api.rate_limited == 0  # the budget kept the limits: Slack never had to say 429
    budget = app.adapter.outbox.api.budget
    assert budget is not None and budget.skipped > 0  # drafts gave way to real messages


async def test_a_final_reply_kept_from_chat_update_is_posted_anew_and_its_draft_removed(
    slack_api: FakeSlackApi, redis: aioredis.Redis
) -> None:
    ada, dm = Actor(platform="slack", tenant="T1", user="UADA"), "DUADA"
    slow_updates = Limit(calls=1, per_s=20.0, burst=1)  # one chat.update per 20 s
    roomy = Limit(1000, 1.0, 100)
    budget = SlackBudget(
        redis,
        KeyBuilder("test"),
        limits={"chat.update": slow_updates, "chat.delete": roomy, "conversations.open": roomy},
        post_per_channel=roomy,
    )
    outbox = SlackOutbox(
        AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.api_url), edit_interval_s=0.05, budget=budget
    )
    draft = ReplyProgress(advisor="Ada", text="Deploying models is mostly about the plumbing around", turn=1)
    await outbox.progress(ada, draft)
    await slack_api.wait_for(lambda: len(slack_api.channel_messages(dm)) == 1)  # the draft
    assert await budget.take("T1", "chat.update")  # a real edit elsewhere spends chat.update

    # While chat.update is busy, no new draft is started for another reply...
    await outbox.progress(ada, ReplyProgress(advisor="Ada", text=draft.text, turn=2))
    await asyncio.sleep(0.1)
    assert len(slack_api.of("chat.postMessage")) == 1

    loop = asyncio.get_running_loop()
    started = loop.time()
    final = Message(blocks=(AdvisorReply(advisor="Ada", text="Deploying models is plumbing.", turn=1),))
    await outbox.send(ada, [final])
    assert loop.time() - started < 3.5  # it did not wait 20 s for chat.update
    [shown] = slack_api.channel_messages(dm)  # the final reply, posted anew; the draft is gone
    assert "Deploying models is plumbing." in message_text(shown) and "▌" not in message_text(shown)
    assert len(slack_api.of("chat.delete")) == 1 and not [c for c in slack_api.of("chat.update") if c.ok]
    await outbox.abandon_stream(ada, 2)
