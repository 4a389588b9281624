"""Button encoding: every press comes back as it was rendered; anything else is refused quietly."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from render_samples import ACTOR

from bot.domain.events import Action, Actor, Press
from bot.domain.messages import Button
from bot.render.actions import MAX_LENGTH, PATTERN, button_index, decode, encode

SAFE = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", min_size=0)


def test_a_press_decodes_to_the_button_it_was_rendered_from() -> None:
    button = Button(label="B. Data pipelines", action="answer", arg="opt-b", token="17")
    value = encode(button, 1)
    assert value == "tb1:answer:opt-b:17"
    assert decode(value, ACTOR) == Press(actor=ACTOR, action="answer", arg="opt-b", token="17")


def test_the_presser_is_whoever_clicked_not_whoever_the_button_was_for() -> None:
    value = encode(Button(label="Continue", action="next", token="3"), 0)
    other = Actor(platform="discord", tenant="guild-1", user="someone-else")
    press = decode(value, other)
    assert press is not None and press.actor == other


def test_two_buttons_with_the_same_action_and_arg_get_different_ids() -> None:
    same = Button(label="Menu", action="menu")
    assert encode(same, 0) != encode(same, 1)
    assert button_index(encode(same, 4)) == 4


@given(
    action=st.sampled_from(get_args(Action)),
    arg=SAFE.filter(lambda s: len(s) <= 48),
    token=SAFE.filter(lambda s: len(s) <= 12),
    index=st.integers(0, 99),
)
def test_every_encodable_button_round_trips_within_discords_100_characters(
    action: Action, arg: str, token: str, index: int
) -> None:
    button = Button(label="x", action=action, arg=arg, token=token)
    value = encode(button, index)
    assert 1 <= len(value) <= 100
    assert decode(value, ACTOR) == Press(actor=ACTOR, action=action, arg=arg, token=token)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "tb",
        "tb0",
        "tb0:answer:opt-b",  # a part missing
        "tb0:answer:opt-b:17:extra",
        "xx0:answer:opt-b:17",  # someone else's prefix
        "TB0:answer:opt-b:17",
        "tb00:answer:opt-b:17",  # not the one spelling of index 0
        "tb-1:answer:opt-b:17",
        "tb1000:answer:opt-b:17",
        "tb0::opt-b:17",  # no action
        "tb0:answer:opt b:17",  # a space
        "tb0:answer:opt-b:17\n",
        "tb0:ans:wer:opt-b:17",
        "tb0:answer:opt-é:17",  # not ASCII
        "tb٣:answer:opt-b:17",  # a non-ASCII digit
        "tb0:" + "a" * 25 + "::",  # action longer than Press allows
        "tb0:answer:" + "a" * 49 + ":",
        "tb0:answer::" + "1" * 25,
        "tb0:answer:opt-b:" + "1" * 200,  # far too long
        "tb0:<@U123>:x:1",
        "tb0:teleport::1",  # well formed, but not an action the engine makes
        "tb0:Answer:opt-b:17",
    ],
)
def test_malformed_or_forged_values_decode_to_nothing(value: str) -> None:
    assert decode(value, ACTOR) is None


@pytest.mark.parametrize("value", [None, 7, b"tb0:next::1", ["tb0:next::1"], {"value": "tb0:next::1"}])
def test_values_that_are_not_text_decode_to_nothing(value: object) -> None:
    assert decode(value, ACTOR) is None
    assert button_index(value) is None


@given(st.text(max_size=150))
def test_decode_never_raises_on_arbitrary_text(value: str) -> None:
    press = decode(value, ACTOR)
    assert press is None or value.startswith("tb")


@pytest.mark.parametrize(
    "button",
    [
        Button(label="x", action="answer", arg="has space"),
        Button(label="x", action="answer", arg="a:b"),
        Button(label="x", action="say", arg="é"),
        Button(label="x", action="progress", arg="b" * 48, token="1" * 44),  # 106 characters encoded
    ],
)
def test_a_button_that_cannot_be_encoded_is_a_bug_reported_at_render_time(button: Button) -> None:
    with pytest.raises(ValueError):
        encode(button, 0)


def test_the_pattern_is_usable_as_a_discord_dynamic_item_template() -> None:
    import re

    match = re.fullmatch(PATTERN, "tb12:open:lesson-2-quiz:41")
    assert match is not None
    assert match.group("index", "action", "arg", "token") == ("12", "open", "lesson-2-quiz", "41")
    assert MAX_LENGTH == 100
