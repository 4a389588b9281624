from __future__ import annotations

import copy

import redis.asyncio as aioredis
from discord.http import Route

from bot.adapters.discord.app import build_discord_adapter
from bot.adapters.discord.settings import DiscordSettings
from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.render.discord import DiscordPayload
from bot.render.limits import discord_problems
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from tests.discord.harness import GUILD, TOKEN, DiscordHarness, click_payload, command_payload
from tests.fakes.discord_api import FakeDiscordApi

ALICE = "500000000000000001"


def no_problems(h: DiscordHarness) -> None:
    for call in h.api.calls:
        if isinstance(call.body, dict) and ("embeds" in call.body or "content" in call.body):
            payload = DiscordPayload(
                call.body.get("content", ""), call.body.get("embeds", []), call.body.get("components", [])
            )
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


def buttons(message: dict) -> list[dict]:
    return [b for row in message.get("components", []) for b in row["components"]]


def last_with_buttons(h: DiscordHarness, uid: str) -> dict:
    return [m for m in h.api.in_channel(h.api.dm_of(uid)) if buttons(m)][-1]


async def press(h: DiscordHarness, uid: str, action: str) -> dict:
    """Press a button of the last card with buttons; the message as it was when pressed."""
    message = copy.deepcopy(last_with_buttons(h, uid))
    button = next(b for b in buttons(message) if b["custom_id"].split(":")[1] == action)
    await h.interaction(click_payload(uid, message, button["custom_id"]))
    return message


async def reach_quiz(h: DiscordHarness, uid: str) -> None:
    await h.interaction(command_payload(uid, "start"))
    for _ in range(30):
        message = last_with_buttons(h, uid)
        ids = [b["custom_id"] for b in buttons(message)]
        if any(i.split(":")[1] == "answer" for i in ids):
            return
        forward = next(i for i in ids if i.split(":")[1] not in ("back", "menu"))
        await h.interaction(click_payload(uid, message, forward))
    raise AssertionError("no quiz question reached")


async def test_quiz_answered_by_buttons_and_question_marked(harness: DiscordHarness) -> None:
    await reach_quiz(harness, ALICE)
    question = await press(harness, ALICE, "answer")
    api = harness.api
    in_dm = api.messages[question["id"]]
    assert in_dm["components"] == [] and in_dm["edits"] == 1, "the answered question loses its buttons"
    assert in_dm["embeds"] != question["embeds"], "and shows the answer chosen"
    assert len(api.in_channel(api.dm_of(ALICE))) > 1
    # Pressing the old question again is stale: a notice, ephemeral, and no new DM card.
    before = len(api.in_channel(api.dm_of(ALICE)))
    button = next(b for b in buttons(question) if b["custom_id"].split(":")[1] == "answer")
    await harness.interaction(click_payload(ALICE, question, button["custom_id"]))
    assert len(api.in_channel(api.dm_of(ALICE))) == before
    assert api.of("POST", "/webhooks/")[-1].body["flags"] == 64
    no_problems(harness)


async def test_forged_custom_id_gets_polite_answer(harness: DiscordHarness) -> None:
    await harness.interaction(command_payload(ALICE, "start"))
    message = last_with_buttons(harness, ALICE)
    forged = dict(
        message,
        components=[
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": "evil:1"}]}
        ],
    )
    before = len(harness.api.in_channel(harness.api.dm_of(ALICE)))
    await harness.interaction(click_payload(ALICE, forged, "evil:1"))
    callbacks = harness.api.of("POST", "/callback")
    assert callbacks[-1].body["type"] == 4 and callbacks[-1].body["data"]["flags"] == 64
    assert "recognise" in callbacks[-1].body["data"]["content"]
    assert len(harness.api.in_channel(harness.api.dm_of(ALICE))) == before


async def test_dm_blocked_falls_back_to_ephemeral(harness: DiscordHarness) -> None:
    harness.api.blocked.add(ALICE)
    await harness.interaction(command_payload(ALICE, "start"))
    api = harness.api
    assert api.in_channel(api.dm_of(ALICE)) == []
    texts = [json_text(c.body) for c in api.of("PATCH", "@original") + api.of("POST", "/webhooks/")]
    assert any("can't send you direct messages" in t for t in texts)
    assert any(c.body.get("components") for c in api.of("POST", "/webhooks/")), (
        "the card follows, buttons and all"
    )
    no_problems(harness)


async def test_duplicate_interaction_handled_once(harness: DiscordHarness) -> None:
    payload = command_payload(ALICE, "start")
    await harness.interaction(payload)
    await harness.interaction(payload)
    assert len(harness.api.of("POST", "/callback")) == 1


async def test_guild_learners_are_isolated_and_dm_follows_last_guild(harness: DiscordHarness) -> None:
    await harness.interaction(command_payload(ALICE, "start", guild=GUILD))
    assert await harness.adapter.engine.known(_actor(GUILD, ALICE))
    assert not await harness.adapter.engine.known(_actor("700000000000000099", ALICE))
    assert (await harness.adapter.handlers.dm.get(ALICE)).tenant == GUILD


def _actor(tenant: str, uid: str):  # type: ignore[no-untyped-def]
    from bot.domain.events import Actor

    return Actor(platform="discord", tenant=tenant, user=uid)


def json_text(body: dict) -> str:
    import json

    return json.dumps(body)


async def test_two_bots_in_one_process_each_reach_their_own_api(
    harness: DiscordHarness, module: Module, redis: aioredis.Redis
) -> None:
    bob = "500000000000000002"
    async with FakeDiscordApi(token=TOKEN) as other_api:
        keys = KeyBuilder("other")
        settings = DiscordSettings(
            _env_file=None,  # type: ignore[call-arg]
            discord_bot_token=TOKEN,
            discord_api_url=other_api.api_url,
            discord_gateway_url=other_api.gateway_url,
        )
        engine = Engine(module, RedisLearnerStore(redis, keys), OfflineAdvisor())
        other = DiscordHarness(build_discord_adapter(settings, engine, redis, keys), other_api)
        await other.login()
        try:
            await harness.interaction(command_payload(ALICE, "start"))
            await other.interaction(command_payload(bob, "start"))
        finally:
            await other.close()
        opened_here = [c.body["recipient_id"] for c in harness.api.of("POST", "/users/@me/channels")]
        opened_there = [c.body["recipient_id"] for c in other_api.of("POST", "/users/@me/channels")]
        assert set(opened_here) == {ALICE} and set(opened_there) == {bob}
        assert harness.api.of("POST", "/callback") and other_api.of("POST", "/callback")
        assert other_api.in_channel(other_api.dm_of(bob)), "the second bot's cards reached its own API"
    assert Route.BASE == "https://discord.com/api/v10", "no process-wide override"


async def test_progress_asked_in_a_server_is_answered_there_privately(harness: DiscordHarness) -> None:
    await harness.interaction(command_payload(ALICE, "start"))
    api = harness.api
    in_dm = len(api.in_channel(api.dm_of(ALICE)))
    await harness.interaction(command_payload(ALICE, "progress"))
    assert len(api.in_channel(api.dm_of(ALICE))) == in_dm, "nothing added to the DM"
    shown = api.of("PATCH", "@original")[-1].body  # the deferred, ephemeral reply
    assert "Your progress" in json_text(shown) and "DMs" not in json_text(shown)

    await harness.interaction(command_payload(ALICE, "progress", guild=None))  # typed in the DM
    assert "Your progress" in json_text(api.in_channel(api.dm_of(ALICE))[-1])
