"""Outbound messages: frozen values, the JSON a posted card is remembered as, and their copies."""

from __future__ import annotations

import dataclasses

import pytest
import redis.asyncio as aioredis

from bot.adapters.cards import CardMemory
from bot.domain.events import Actor
from bot.domain.messages import (
    AdvisorReply,
    Bullets,
    Button,
    KeyTermList,
    Message,
    Paragraph,
    ProgressStrip,
    StripUnit,
)
from bot.storage.keys import KeyBuilder

ADA = Actor(platform="slack", tenant="T1", user="UADA")

EVERY_KIND = Message(
    heading="Lesson 1 · Events",
    blocks=(
        Paragraph(text="An _event_ is a **fact**."),
        Bullets(items=("first", "second")),
        KeyTermList(terms=(("event", "a fact that happened"),)),
        ProgressStrip(
            units=(
                StripUnit(label="L1", status="done"),
                StripUnit(label="L2", status="scheduled", opens="Mon 7 Dec"),
            )
        ),
        AdvisorReply(advisor="Mentor", text="Go on.", turn=3, offline=True),
    ),
    choices=(Button(label="A fact", action="answer", arg="a", token="5"),),
    actions=(Button(label="Menu", action="menu", style="primary"),),
    notice=True,
    locks_on_choice=True,
)

REMEMBERED = (
    b'{"heading":"Lesson 1 \xc2\xb7 Events","blocks":[{"kind":"paragraph","text":"An _event_ is a **fact**."},'
    b'{"kind":"bullets","items":["first","second"]},{"kind":"key_terms","terms":[["event","a fact that happened"]]},'
    b'{"kind":"progress","units":[{"label":"L1","status":"done","opens":""},'
    b'{"label":"L2","status":"scheduled","opens":"Mon 7 Dec"}]},'
    b'{"kind":"advisor","advisor":"Mentor","text":"Go on.","turn":3,"offline":true}],'
    b'"choices":[{"label":"A fact","action":"answer","arg":"a","token":"5","style":"default"}],'
    b'"actions":[{"label":"Menu","action":"menu","arg":"","token":"","style":"primary"}],'
    b'"notice":true,"private":false,"stays_where_asked":false,"locks_on_choice":true,"progress_card":false}'
)
"""A card as the card memory has always written it (when messages were pydantic models): cards
remembered by an older release must still be read back."""


@pytest.fixture
def cards(redis: aioredis.Redis) -> CardMemory:
    return CardMemory(redis, KeyBuilder("test"))


async def test_a_card_is_remembered_as_the_same_json_and_read_back_equal(
    cards: CardMemory, redis: aioredis.Redis
) -> None:
    await cards.remember(ADA, "D1", "1.000001", EVERY_KIND)
    assert await redis.get(cards.key(ADA, "D1", "1.000001")) == REMEMBERED
    await redis.set(cards.key(ADA, "D1", "2.000002"), REMEMBERED)
    recalled = await cards.recall(ADA, "D1", "2.000002")
    assert recalled == EVERY_KIND
    assert recalled is not None and isinstance(recalled.blocks[2], KeyTermList)


async def test_a_remembered_card_that_is_not_one_of_ours_reads_as_none(
    cards: CardMemory, redis: aioredis.Redis
) -> None:
    for broken in (
        REMEMBERED.replace(b'"kind":"bullets"', b'"kind":"poster"'),
        REMEMBERED.replace(b'"action":"answer"', b'"action":"teleport"'),
        REMEMBERED.replace(b'"items":["first","second"]', b'"items":"first"'),
        b"not json",
    ):
        await redis.set(cards.key(ADA, "D1", "3.000003"), broken)
        assert await cards.recall(ADA, "D1", "3.000003") is None, broken


def test_messages_are_frozen_keyword_only_values() -> None:
    button = Button(label="Next", action="next", token="4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        button.label = "Skip"  # type: ignore[misc]  # what the test checks is refused
    with pytest.raises(TypeError):
        Button("Next", "next")  # type: ignore[misc]  # what the test checks is refused
    with pytest.raises(TypeError):
        Button(label="Next")  # type: ignore[call-arg]  # what the test checks is refused
    same = Button(label="Next", action="next", token="4")
    assert same == button and hash(same) == hash(button)
    assert Button(label="Next", action="next", token="5") != button
    assert Paragraph(text="Next") != Button(label="Next", action="next")
    assert len({EVERY_KIND, dataclasses.replace(EVERY_KIND)}) == 1


def test_a_replaced_card_keeps_everything_else() -> None:
    blocks = (Paragraph(text="_Card 2 of 3_"),)
    actions = (Button(label="Back", action="back", token="4"),)
    assert EVERY_KIND.replaced(blocks=blocks) == dataclasses.replace(EVERY_KIND, blocks=blocks)
    assert EVERY_KIND.replaced(actions=actions) == dataclasses.replace(EVERY_KIND, actions=actions)
    both = EVERY_KIND.replaced(blocks=blocks, actions=actions)
    assert both == dataclasses.replace(EVERY_KIND, blocks=blocks, actions=actions) != EVERY_KIND
    assert EVERY_KIND.actions[0].label == "Menu"  # the original is untouched
