from __future__ import annotations

from bot.render.discord import DiscordPayload
from bot.render.limits import discord_problems
from tests.discord.harness import GUILD, DiscordHarness, click_payload, command_payload

ALICE = "500000000000000001"


def no_problems(h: DiscordHarness) -> None:
    for call in h.api.calls:
        if isinstance(call.body, dict) and ("embeds" in call.body or "content" in call.body):
            payload = DiscordPayload(call.body.get("content", ""), call.body.get("embeds", []), call.body.get("components", []))
            assert discord_problems(payload) == [], call.path


async def test_tutor_start_sends_first_lesson_to_dm(harness: DiscordHarness) -> None:
    await harness.interaction(command_payload(ALICE, "start"))
    api = harness.api
    assert api.of("POST", "/callback"), "deferred within the handler"
    dm = api.in_channel(api.dm_of(ALICE))
    assert dm and dm[0]["embeds"], "the first lesson card is in the DM"
    originals = [c for c in api.of("PATCH", "@original")]
    assert originals and "DMs" in originals[-1].body["embeds"][0]["description"]
    assert all(c.authorized for c in api.of("POST", "/channels/"))
    no_problems(harness)
