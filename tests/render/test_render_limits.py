"""The limit checkers: silent on a valid payload, and name every limit a payload breaks.

If a checker missed a broken limit, Slack or Discord would refuse the message and the learner
would see nothing; so each platform limit has a case here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_samples import every_block, words

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
from bot.render.discord import DiscordPayload, render_discord
from bot.render.limits import discord_problems, slack_problems
from bot.render.slack import SlackMessage, render_slack


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(label: str = "Go", action_id: str = "tb0:next::1", **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": action_id,
        **extra,
    }


def valid_slack() -> SlackMessage:
    return SlackMessage(
        text="Lesson 1",
        blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "Lesson 1", "emoji": True}},
            section("Hello *there*"),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "L1 ▶"}]},
            {
                "type": "actions",
                "elements": [button("A", "tb0:a::1"), button("B", "tb1:a::1", style="primary")],
            },
        ],
    )


def slack_with(change: Callable[[SlackMessage], SlackMessage]) -> SlackMessage:
    return change(copy.deepcopy(valid_slack()))


def blocks(*extra: dict[str, Any]) -> Callable[[SlackMessage], SlackMessage]:
    return lambda message: SlackMessage(text=message.text, blocks=message.blocks + list(extra))


def test_the_valid_slack_sample_has_no_problems() -> None:
    assert slack_problems(valid_slack()) == []


SLACK_BREAKS: list[tuple[str, Callable[[SlackMessage], SlackMessage], str]] = [
    ("51 blocks", lambda m: SlackMessage(text="x", blocks=[section("x")] * 51), "51 blocks, more than 50"),
    ("empty fallback", lambda m: SlackMessage(text=" ", blocks=m.blocks), "text is empty"),
    ("long fallback", lambda m: SlackMessage(text="x" * 151, blocks=m.blocks), "text: 151 characters"),
    ("mention in fallback", lambda m: SlackMessage(text="hi <!channel>", blocks=m.blocks), "unescaped '<'"),
    (
        "151-char header",
        blocks({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}),
        "151 characters, more than 150",
    ),
    (
        "mrkdwn header",
        blocks({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}),
        "expected plain_text",
    ),
    ("3001-char section", blocks(section("s" * 3001)), "3001 characters, more than 3000"),
    ("empty section", blocks(section("")), "empty"),
    ("section without text", blocks({"type": "section"}), "neither text nor fields"),
    (
        "11 fields",
        blocks({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}),
        "fields must be a list of 1..10",
    ),
    (
        "2001-char field",
        blocks({"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}),
        "2001 characters",
    ),
    ("unescaped mention", blocks(section("hey <!channel>")), "unescaped '<'"),
    ("bare ampersand", blocks(section("R&D")), "unescaped '&'"),
    (
        "11 context elements",
        blocks({"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}),
        "1..10",
    ),
    (
        "26 buttons",
        blocks({"type": "actions", "elements": [button(action_id=f"tb{i}:a::") for i in range(26)]}),
        "26 elements",
    ),
    ("empty actions", blocks({"type": "actions", "elements": []}), "0 elements"),
    (
        "76-char button",
        blocks({"type": "actions", "elements": [button("b" * 76)]}),
        "76 characters, more than 75",
    ),
    (
        "256-char action_id",
        blocks({"type": "actions", "elements": [button(action_id="a" * 256)]}),
        "256 characters, more than 255",
    ),
    (
        "2001-char value",
        blocks({"type": "actions", "elements": [{**button(), "value": "v" * 2001}]}),
        "2001 characters, more than 2000",
    ),
    (
        "same action_id twice",
        blocks({"type": "actions", "elements": [button(), button()]}),
        "used twice in the block",
    ),
    ("bad style", blocks({"type": "actions", "elements": [button(style="green")]}), "style 'green'"),
    ("not a button", blocks({"type": "actions", "elements": [{"type": "static_select"}]}), "not a button"),
    ("256-char block_id", blocks({**section("x"), "block_id": "b" * 256}), "256 characters, more than 255"),
    (
        "same block_id twice",
        blocks({**section("x"), "block_id": "b"}, {**section("y"), "block_id": "b"}),
        "block_id 'b' is used twice",
    ),
    ("unknown block type", blocks({"type": "carousel_of_doom"}), "unexpected block type"),
    (
        "misspelled key",
        blocks({"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "accesory": 1}),
        "round trip",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [case[1:] for case in SLACK_BREAKS], ids=[case[0] for case in SLACK_BREAKS]
)
def test_slack_checker_names_each_broken_limit(
    change: Callable[[SlackMessage], SlackMessage], expected: str
) -> None:
    problems = slack_problems(slack_with(change))
    assert any(expected in problem for problem in problems), problems


def test_slack_checker_is_backed_by_slack_sdk_validation() -> None:
    problems = slack_problems(slack_with(blocks({"type": "actions", "elements": [button("b" * 76)]})))
    assert any("slack_sdk: text attribute cannot exceed 75 characters" in problem for problem in problems)


def embed(**fields: Any) -> dict[str, Any]:
    return {"description": "Hello", "color": 1, **fields}


def row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def dbutton(custom_id: str = "tb0:next::1", label: str = "Go", style: int = 2) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": custom_id}


def valid_discord() -> DiscordPayload:
    return DiscordPayload(
        embeds=[
            embed(
                title="Lesson 1",
                footer={"text": "L1 ▶"},
                fields=[{"name": "Term", "value": "Definition", "inline": False}],
            )
        ],
        components=[row(dbutton("tb0:a::1", "A"), dbutton("tb1:a::1", "B", 1))],
    )


def test_the_valid_discord_sample_has_no_problems() -> None:
    assert discord_problems(valid_discord()) == []


DISCORD_BREAKS: list[tuple[str, DiscordPayload, str]] = [
    ("2001-char content", DiscordPayload(content="c" * 2001), "content: 2001 characters"),
    ("nothing to send", DiscordPayload(), "empty message"),
    ("11 embeds", DiscordPayload(embeds=[embed()] * 11), "11 embeds, more than 10"),
    ("257-char title", DiscordPayload(embeds=[embed(title="t" * 257)]), "title: 257 characters"),
    (
        "4097-char description",
        DiscordPayload(embeds=[embed(description="d" * 4097)]),
        "description: 4097 characters",
    ),
    (
        "26 fields",
        DiscordPayload(embeds=[embed(fields=[{"name": "n", "value": "v"}] * 26)]),
        "26 fields, more than 25",
    ),
    (
        "257-char field name",
        DiscordPayload(embeds=[embed(fields=[{"name": "n" * 257, "value": "v"}])]),
        "name: 257 characters",
    ),
    (
        "1025-char field value",
        DiscordPayload(embeds=[embed(fields=[{"name": "n", "value": "v" * 1025}])]),
        "value: 1025 characters",
    ),
    (
        "empty field value",
        DiscordPayload(embeds=[embed(fields=[{"name": "n", "value": ""}])]),
        "value: empty",
    ),
    (
        "2049-char footer",
        DiscordPayload(embeds=[embed(footer={"text": "f" * 2049})]),
        "footer.text: 2049 characters",
    ),
    (
        "257-char author",
        DiscordPayload(embeds=[embed(author={"name": "a" * 257})]),
        "author.name: 257 characters",
    ),
    (
        "6001 characters over two embeds",
        DiscordPayload(embeds=[embed(description="d" * 4000), embed(description="d" * 2000, title="t")]),
        "6001 characters in all, more than 6000",
    ),
    ("empty embed", DiscordPayload(embeds=[{"color": 1}]), "empty embed"),
    ("misspelled key", DiscordPayload(embeds=[embed(descripton="x")]), "does not round-trip"),
    (
        "6 rows",
        DiscordPayload(components=[row(dbutton(f"tb{i}:a::")) for i in range(6)]),
        "6 action rows, more than 5",
    ),
    (
        "6 buttons in a row",
        DiscordPayload(components=[row(*(dbutton(f"tb{i}:a::") for i in range(6)))]),
        "must hold 1..5 buttons",
    ),
    (
        "81-char label",
        DiscordPayload(components=[row(dbutton(label="l" * 81))]),
        "label: 81 characters, more than 80",
    ),
    (
        "101-char custom_id",
        DiscordPayload(components=[row(dbutton(custom_id="c" * 101))]),
        "custom_id: 101 characters, more than 100",
    ),
    ("empty custom_id", DiscordPayload(components=[row(dbutton(custom_id=""))]), "custom_id: empty"),
    (
        "same custom_id in two rows",
        DiscordPayload(components=[row(dbutton()), row(dbutton())]),
        "used twice in the message",
    ),
    ("link style", DiscordPayload(components=[row(dbutton(style=5))]), "style 5"),
    ("not a button", DiscordPayload(components=[row({"type": 3, "custom_id": "s"})]), "not a button"),
    ("not a row", DiscordPayload(components=[dbutton()]), "not an action row"),
]


@pytest.mark.parametrize(
    ("payload", "expected"), [case[1:] for case in DISCORD_BREAKS], ids=[case[0] for case in DISCORD_BREAKS]
)
def test_discord_checker_names_each_broken_limit(payload: DiscordPayload, expected: str) -> None:
    problems = discord_problems(payload)
    assert any(expected in problem for problem in problems), problems


def test_a_payload_exactly_at_every_discord_limit_passes() -> None:
    payload = DiscordPayload(
        content="c" * 2000,
        embeds=[embed(title="t" * 256, description="d" * 3744), embed(description="d" * 2000)],
        components=[
            row(*(dbutton(f"tb{r * 5 + b}:{'a' * 24}:{'b' * 48}:1", "l" * 80) for b in range(5)))
            for r in range(5)
        ],
    )
    assert discord_problems(payload) == []


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)
STATUSES = st.sampled_from(["done", "current", "locked", "open"])
STYLES = st.sampled_from(["default", "primary", "danger"])
PLAIN = st.text(alphabet="abcdefghij klmnop*_&<>→—·🧠\n", min_size=0, max_size=4000)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    block = st.one_of(
        st.builds(Paragraph, text=PLAIN),
        st.builds(Bullets, items=st.lists(TEXT, max_size=8).map(tuple)),
        st.builds(KeyTermList, terms=st.lists(st.tuples(TEXT, TEXT), max_size=6).map(tuple)),
        st.builds(AdvisorReply, advisor=st.text(min_size=1, max_size=30), text=PLAIN, offline=st.booleans()),
        st.builds(
            ProgressStrip,
            units=st.lists(
                st.builds(StripUnit, label=st.text(max_size=20), status=STATUSES), max_size=14
            ).map(tuple),
        ),
    )
    label = st.text(min_size=1, max_size=160)
    arg = st.text(alphabet="abc-", max_size=10)

    def buttons(max_size: int) -> st.SearchStrategy[tuple[Button, ...]]:
        return st.lists(
            st.builds(
                Button, label=label, action=st.just("answer"), arg=arg, token=st.just("3"), style=STYLES
            ),
            max_size=max_size,
        ).map(tuple)

    return Message(
        heading=draw(st.one_of(st.none(), st.text(max_size=300))),
        blocks=tuple(draw(st.lists(block, max_size=12))),
        choices=draw(buttons(30)),
        actions=draw(buttons(4)),
    )


@settings(max_examples=60, deadline=None)
@given(messages())
def test_any_message_renders_within_every_limit_on_both_platforms(message: Message) -> None:
    for slack in render_slack(message):
        assert slack_problems(slack) == []
    for payload in render_discord(message):
        assert discord_problems(payload) == []


@settings(max_examples=30, deadline=None)
@given(messages())
def test_any_message_keeps_every_paragraph_word_on_both_platforms(message: Message) -> None:
    paragraph_words = [
        w for block in message.blocks if isinstance(block, Paragraph) for w in words(block.text)
    ]
    slack_text = " ".join(
        block["text"]["text"]
        for part in render_slack(message)
        for block in part.blocks
        if block["type"] == "section"
    )
    discord_text = " ".join(e.get("description", "") for p in render_discord(message) for e in p.embeds)
    for rendered in (slack_text, discord_text):
        found = iter(words(rendered.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")))
        assert all(word in found for word in paragraph_words)  # in order, none missing


def test_every_block_sample_renders_within_limits() -> None:
    message = every_block()
    assert all(slack_problems(part) == [] for part in render_slack(message))
    assert all(discord_problems(part) == [] for part in render_discord(message))
