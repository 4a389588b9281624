from __future__ import annotations

import redis.asyncio as aioredis

from bot.adapters.discord.app import commands_digest, sync_commands_if_changed
from bot.domain.events import Actor
from bot.domain.messages import AdvisorReply, Message, ReplyProgress
from bot.storage.keys import KeyBuilder
from tests.discord.harness import DiscordHarness

ACTOR = Actor(platform="discord", tenant="dm", user="500000000000000007")


async def test_lab_reply_streams_into_one_message_with_throttled_edits(harness: DiscordHarness) -> None:
    outbox = harness.adapter.outbox
    outbox.drafts.interval_s = 0.2
    text = ""
    for word in ["Data", " pipelines", " matter", " a", " lot", " here"] * 4:
        text += word
        await outbox.progress(ACTOR, ReplyProgress(advisor="Mentor", text=text, turn=1))
        await __import__("asyncio").sleep(0.02)
    await outbox.send(ACTOR, [Message(blocks=(AdvisorReply(advisor="Mentor", text=text + ".", turn=1),))])
    api = harness.api
    posts = api.of("POST", "/channels/")
    edits = api.of("PATCH", "/channels/")
    assert len(posts) == 1, "one draft message"
    assert 1 <= len(edits) <= 4, (
        "edits are throttled (about 0.5 s of drafts at one edit per 0.2 s, plus the final)"
    )
    gaps = [b.at - a.at for a, b in zip(edits, edits[1:], strict=False)]
    assert all(gap >= 0.15 for gap in gaps)
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
