from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from bot.adapters.discord.app import commands_digest, sync_commands_if_changed
from bot.domain.events import Actor
from bot.domain.messages import AdvisorReply, Message, ReplyProgress
from bot.storage.keys import KeyBuilder
from tests.discord.harness import DiscordHarness
from tests.pace import SteppedPace, Timed, settle

ACTOR = Actor(platform="discord", tenant="dm", user="500000000000000007")


async def test_lab_reply_streams_into_one_message_with_throttled_edits(harness: DiscordHarness) -> None:
    interval, step = 0.2, 0.02
    pace = SteppedPace()
    outbox = harness.adapter.outbox
    outbox.drafts.interval_s = interval
    outbox.drafts.pace = pace
    edits = Timed(pace, outbox.api.edit)
    outbox.api.edit = edits  # type: ignore[method-assign]
    text = ""
    for word in ["Data", " pipelines", " matter", " a", " lot", " here"] * 4:  # 0.48 s of deltas
        text += word
        await outbox.progress(ACTOR, ReplyProgress(advisor="Mentor", text=text, turn=1))
        await settle()
        await edits.idle()
        await pace.advance(step)
    sending = asyncio.create_task(
        outbox.send(ACTOR, [Message(blocks=(AdvisorReply(advisor="Mentor", text=text + ".", turn=1),))])
    )
    while not sending.done():  # the final edit waits for its slot, on the same clock
        await edits.idle()
        await pace.advance(step)
    await sending
    api = harness.api
    posts = api.of("POST", "/channels/")
    assert len(posts) == 1, "one draft message"
    # about 0.5 s of drafts at one edit per 0.2 s, plus the final
    assert 2 <= len(edits.started) <= 0.48 / interval + 2, edits.started
    gaps = [b - a for a, b in zip(edits.started, edits.started[1:], strict=False)]
    assert all(gap >= interval - 1e-9 for gap in gaps), edits.started
    final = api.in_channel(api.dm_of(ACTOR.user))
    assert len(final) == 1 and text + "." in final[0]["embeds"][0]["description"]


async def test_commands_sync_only_when_definitions_change(
    harness: DiscordHarness, redis: aioredis.Redis
) -> None:
    tree = harness.adapter.tree
    keys = KeyBuilder("test")
    assert await sync_commands_if_changed(tree, redis, keys)
    assert not await sync_commands_if_changed(tree, redis, keys)
    puts = harness.api.of("PUT", "/commands")
    assert len(puts) == 1 and puts[0].body[0]["name"] == "tutor"
    assert len(commands_digest(tree)) == 64


async def test_dm_text_reaches_the_engine(harness: DiscordHarness) -> None:
    await harness.dm_text(ACTOR.user, "start")
    assert harness.api.in_channel(harness.api.dm_of(ACTOR.user)), "the answer is in the DM"
    assert await harness.adapter.engine.known(ACTOR)
