"""A learner whose DMs are closed: no storm of refused requests, the course in a private thread."""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.domain.events import Actor
from tests.discord.harness import (
    CHANNEL,
    GUILD,
    MANAGE_GUILD,
    DiscordHarness,
    click_payload,
    command_payload,
    message_payload,
)
from tests.fakes.discord_api import BOT_USER_ID

ALICE = "500000000000000031"
ALICE_IN_A = Actor(platform="discord", tenant=GUILD, user=ALICE)


def refused(h: DiscordHarness) -> int:
    """DM posts Discord refused (403, 50007): each counts toward the invalid-request limit."""
    return len([c for c in h.api.of("POST", f"/channels/{h.api.dm_of(ALICE)}/messages")])


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message.get("components", []) for b in row["components"]]


def said(h: DiscordHarness) -> str:
    return json.dumps([c.body for c in h.api.of("PATCH", "@original") + h.api.of("POST", "/webhooks/")])


async def test_without_a_course_channel_one_refusal_and_one_word_on_opening_dms(
    harness: DiscordHarness,
) -> None:
    harness.api.blocked.add(ALICE)
    await harness.interaction(command_payload(ALICE, "start"))
    assert refused(harness) == 1
    assert said(harness).count("can't send you direct messages") == 1
    for _ in range(3):  # the learner goes on with the private cards' buttons
        card = [
            m for m in harness.api.messages.values() if m["channel_id"].startswith("eph-") and buttons(m)
        ][-1]
        card = dict(card, channel_id=CHANNEL, flags=64)  # an ephemeral message is where one acted
        forward = next(
            b["custom_id"] for b in buttons(card) if b["custom_id"].split(":")[1] not in ("back", "menu")
        )
        await harness.interaction(click_payload(ALICE, card, forward, guild=GUILD))
    assert refused(harness) == 1, "no DM tried again while they are known to be closed"
    assert said(harness).count("can't send you direct messages") == 1, "told once"
    assert harness.api.of("POST", "/webhooks/")[-1].body.get("components"), "the course goes on privately"

    await harness.interaction(command_payload(ALICE, "resume"))
    assert refused(harness) == 2, "/tutor resume tries the DM again, once"
    harness.api.blocked.discard(ALICE)
    await harness.interaction(command_payload(ALICE, "resume"))
    assert harness.api.in_channel(harness.api.dm_of(ALICE)), "DMs opened: the course is back in the DM"


async def test_with_a_course_channel_the_course_continues_in_a_private_thread(
    harness: DiscordHarness,
) -> None:
    await harness.adapter.handlers.places.threads.set_channel(GUILD, CHANNEL)
    harness.api.blocked.add(ALICE)
    await harness.interaction(command_payload(ALICE, "start"))
    thread = harness.api.thread_of(ALICE)
    assert thread is not None and thread["parent_id"] == CHANNEL
    assert thread["type"] == 12 and thread["thread_metadata"]["invitable"] is False, "private, nobody invited"
    assert thread["members"] == [ALICE]
    cards = harness.api.in_channel(thread["id"])
    assert "private thread" in cards[0]["content"] and f"<@{BOT_USER_ID}>" in cards[0]["content"]
    assert any(buttons(m) for m in cards), "the course cards are in the thread"
    assert refused(harness) == 1

    # A press in the thread acts on the server's course and answers in the thread.
    card = copy.deepcopy([m for m in cards if buttons(m)][-1])
    forward = next(
        b["custom_id"] for b in buttons(card) if b["custom_id"].split(":")[1] not in ("back", "menu")
    )
    press = click_payload(ALICE, card, forward, guild=GUILD)
    press["channel"] = {k: v for k, v in thread.items() if k != "members"}
    before = len(harness.api.in_channel(thread["id"]))
    await harness.interaction(press)
    assert len(harness.api.in_channel(thread["id"])) > before
    assert refused(harness) == 1, "no DM tried"

    # Typed text: with a mention of the bot it is read; without, the learner is told how.
    shown = len(harness.api.in_channel(thread["id"]))
    await harness.event(
        "MESSAGE_CREATE", message_payload(ALICE, thread["id"], f"<@{BOT_USER_ID}> progress", GUILD)
    )
    progress = harness.api.in_channel(thread["id"])[shown:]
    assert progress and "Your progress" in json.dumps(progress)
    await harness.event("MESSAGE_CREATE", message_payload(ALICE, thread["id"], "", GUILD))
    assert "mention me" in harness.api.in_channel(thread["id"])[-1]["content"]
    # Someone else writing in the thread (a moderator) is not the learner.
    shown = len(harness.api.in_channel(thread["id"]))
    await harness.event(
        "MESSAGE_CREATE",
        message_payload("500000000000000099", thread["id"], f"<@{BOT_USER_ID}> progress", GUILD),
    )
    assert len(harness.api.in_channel(thread["id"])) == shown
    assert refused(harness) == 1


async def test_the_cohort_channel_set_in_chat_carries_the_private_threads(harness: DiscordHarness) -> None:
    boss, course = "510000000000000001", "700000000000000077"
    manager = {"permissions": MANAGE_GUILD}
    await harness.cohort(boss, "create", name="spring", **manager)
    await harness.cohort(boss, "enrol", name="spring", user_id=ALICE, **manager)
    harness.api.channels[course] = {"guild_id": GUILD, "permission_overwrites": []}
    refused_answer = await harness.cohort("510000000000000002", "channel", name="spring", channel_id=course)
    assert "Only this cohort's facilitators" in json.dumps(refused_answer)
    answer = await harness.cohort(boss, "channel", name="spring", channel_id=course, **manager)
    assert f"<#{course}>" in json.dumps(answer) and "private thread" in json.dumps(answer)
    shown = await harness.cohort(boss, "channel", name="spring", **manager)
    assert f"`spring`'s channel: <#{course}>" in json.dumps(shown)

    harness.api.blocked.add(ALICE)
    await harness.interaction(command_payload(ALICE, "start"))
    thread = harness.api.thread_of(ALICE)
    assert thread is not None and thread["parent_id"] == course
    assert any(buttons(m) for m in harness.api.in_channel(thread["id"])), "the course goes on there"

    cleared = await harness.cohort(boss, "channel", name="spring", clear=True, **manager)
    assert "no channel now" in json.dumps(cleared)
