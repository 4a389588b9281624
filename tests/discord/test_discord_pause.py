"""`/tutor pause` and `/tutor resume` on Discord: `pause` is a registered subcommand with its
description, and through the fake gateway's interactions it records the pause and answers
privately how to undo it; `resume` clears it and says so."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from bot.adapters.commands import WORDS
from bot.adapters.discord.app import sync_commands_if_changed
from bot.credentials.desk import WORD as CERTIFICATE_WORD
from bot.domain.events import Actor
from bot.nudges.record import NudgeRecords
from bot.storage.keys import KeyBuilder
from tests.discord.harness import GUILD, DiscordHarness, command_payload

ALICE = "500000000000000001"
KEYS = KeyBuilder("test")


async def test_pause_is_a_subcommand_with_a_description(
    harness: DiscordHarness, redis: aioredis.Redis
) -> None:
    assert await sync_commands_if_changed(harness.adapter.tree, redis, KEYS)
    tutor = next(c for c in harness.api.of("PUT", "/commands")[-1].body if c["name"] == "tutor")
    subcommands = {o["name"]: o["description"] for o in tutor["options"]}
    assert set(subcommands) == {*WORDS, CERTIFICATE_WORD}
    assert subcommands["pause"] == "No reminders from the course until you /tutor resume"


async def test_pause_and_resume_through_the_subcommands(
    harness: DiscordHarness, redis: aioredis.Redis
) -> None:
    records = NudgeRecords(redis, KEYS)
    alice = Actor(platform="discord", tenant=GUILD, user=ALICE)
    api = harness.api
    await harness.interaction(command_payload(ALICE, "start"))
    in_dm = len(api.in_channel(api.dm_of(ALICE)))

    await harness.interaction(command_payload(ALICE, "pause"))
    said = json.dumps(api.of("PATCH", "@original")[-1].body)  # the deferred, ephemeral reply
    assert "Nudges are off" in said and "Type `/tutor resume` to turn them back on" in said
    assert len(api.in_channel(api.dm_of(ALICE))) == in_dm, "nothing added to the DM"
    [record] = await records.read([alice])
    assert record.paused_at is not None

    await harness.interaction(command_payload(ALICE, "resume"))
    said = json.dumps(api.of("PATCH", "@original")[-1].body)
    assert "Nudges are back on" in said
    [record] = await records.read([alice])
    assert record.paused_at is None
