"""The same learner in two servers: two courses, one DM, and no cross-talk between them."""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.domain.events import Actor
from tests.discord.harness import GUILD, GUILD2, DiscordHarness, click_payload, command_payload

ALICE = "500000000000000021"


def actor(tenant: str) -> Actor:
    return Actor(platform="discord", tenant=tenant, user=ALICE)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message.get("components", []) for b in row["components"]]


def dm(h: DiscordHarness) -> list[dict[str, Any]]:
    return h.api.in_channel(h.api.dm_of(ALICE))


def forward(message: dict[str, Any]) -> str:
    return next(
        b["custom_id"] for b in buttons(message) if b["custom_id"].split(":")[1] not in ("back", "menu")
    )


async def rev(h: DiscordHarness, tenant: str) -> int:
    """The revision of the learner's state in that server: it grows with every change."""
    stored = await h.adapter.engine.store.load(actor(tenant))
    assert stored is not None
    return stored.rev


async def test_a_press_in_the_dm_acts_on_the_course_its_card_came_from(harness: DiscordHarness) -> None:
    await harness.interaction(command_payload(ALICE, "start", guild=GUILD))
    card_a = copy.deepcopy([m for m in dm(harness) if buttons(m)][-1])
    await harness.interaction(command_payload(ALICE, "start", guild=GUILD2))
    card_b = copy.deepcopy([m for m in dm(harness) if buttons(m)][-1])
    assert forward(card_a) == forward(card_b), "both courses at the same step: the buttons are alike"
    assert (await harness.adapter.handlers.dm.get(ALICE)).tenant == GUILD2, "the DM follows the last server"

    a, b = await rev(harness, GUILD), await rev(harness, GUILD2)
    await harness.interaction(click_payload(ALICE, card_a, forward(card_a)))
    assert await rev(harness, GUILD2) == b, "server B's course did not move"
    assert await rev(harness, GUILD) > a, "server A's course moved on"
    assert (await harness.adapter.handlers.dm.get(ALICE)).tenant == GUILD, "and the DM now follows A"

    # Typed text goes to the active course: A's.
    shown = len(dm(harness))
    await harness.dm_text(ALICE, "next")
    assert len(dm(harness)) > shown and await rev(harness, GUILD2) == b, "typed text served A's course"

    # B's card still acts on B, not on A (whose token has moved on and would refuse it as stale).
    await harness.interaction(click_payload(ALICE, card_b, forward(card_b)))
    assert await rev(harness, GUILD2) > b, "server B's card moved server B's course"


async def test_tutor_in_the_dm_says_which_servers_course_it_is(harness: DiscordHarness) -> None:
    await harness.interaction(command_payload(ALICE, "start", guild=GUILD2))
    await harness.interaction(command_payload(ALICE, "progress", guild=None))
    told = json.dumps([c.body for c in harness.api.of("PATCH", "@original")][-1])
    assert "Server B" in told and "/tutor resume" in told
    assert await harness.adapter.engine.known(actor(GUILD2))
    assert not await harness.adapter.engine.known(actor("dm")), "the DM command served B's course"


async def test_a_dm_card_of_unknown_origin_acts_on_nothing(harness: DiscordHarness) -> None:
    await harness.interaction(command_payload(ALICE, "start", guild=GUILD))
    card = copy.deepcopy([m for m in dm(harness) if buttons(m)][-1])
    await harness.adapter.outbox.api.places.card_tenants.client.flushdb()  # type: ignore[union-attr]  # as if long expired
    await harness.interaction(click_payload(ALICE, card, forward(card)))
    answer = harness.api.of("POST", "/callback")[-1].body
    assert answer["type"] == 4 and "too old" in answer["data"]["content"]
    assert not await harness.adapter.engine.known(actor(GUILD)), "nothing acted on (the records were wiped)"
