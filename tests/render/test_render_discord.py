"""Discord payloads: every card passes Discord's limits, reads as one embed, and loses no text."""

from __future__ import annotations

from typing import Any

import pytest
from render_samples import ACTOR, choices, every_block, long_paragraph, words

import discord
from bot.domain.messages import (
    Button,
    KeyTermList,
    Message,
    Paragraph,
    ProgressStrip,
    ReplyProgress,
    StripUnit,
)
from bot.render.actions import decode
from bot.render.discord import (
    MORE_BUTTONS,
    DiscordPayload,
    render_discord,
    render_discord_answered,
    render_discord_draft,
)
from bot.render.limits import discord_problems


def buttons(payload: DiscordPayload) -> list[dict[str, Any]]:
    return [button for row in payload.components for button in row["components"]]


def description(payloads: list[DiscordPayload]) -> str:
    return "\n\n".join(embed.get("description", "") for payload in payloads for embed in payload.embeds)


def render_all(message: Message) -> list[DiscordPayload]:
    payloads = render_discord(message)
    for payload in payloads:
        assert discord_problems(payload) == []
    return payloads


def render_one(message: Message) -> DiscordPayload:
    payloads = render_all(message)
    assert len(payloads) == 1
    return payloads[0]


def test_a_card_is_one_embed_titled_by_its_heading_with_the_strip_as_footer() -> None:
    payload = render_one(every_block())
    assert payload.content == ""
    [embed] = payload.embeds
    assert embed["title"] == "Lesson 1 — ML Engineer 🤖"
    assert embed["footer"] == {
        "text": "L1 ✓ · Quiz ✓ · Lab ▶ · L2 · Quiz 🔒 · Module Test 🔒\n✓ done · ▶ you are here · 🔒 locked"
    }
    assert discord.Embed.from_dict(embed).title == embed["title"]


def test_blocks_read_in_order_in_the_description() -> None:
    text = render_one(every_block()).embeds[0]["description"]
    expected = [
        "The **ML engineer** ships _models_ → products · reliably. Costs < 5% & rising?",
        "• PyTorch / TensorFlow\n• Docker & Kubernetes\n• Feature stores → 🧠",
        "**Inference** — Running a trained model on new data.\n**MLOps** — DevOps for ML — pipelines, monitoring.",
        "**Priya:** Hi! Tell me about your _first_ deployment.",
    ]
    positions = [text.index(part) for part in expected]
    assert positions == sorted(positions)


def test_long_options_are_listed_in_full_with_letter_buttons_on_one_row() -> None:
    message = every_block()
    payload = render_one(message)
    text = payload.embeds[0]["description"]
    for letter, choice in zip("ABCD", message.choices, strict=False):
        assert f"**{letter}.** {choice.label}" in text
    rows = payload.components
    assert [[b["label"] for b in row["components"]] for row in rows] == [
        ["A", "B", "C", "D"],
        ["Continue", "Reset lesson", "Menu"],
    ]
    assert [b["style"] for b in rows[1]["components"]] == [1, 4, 2]  # primary, danger, secondary


def test_short_options_are_the_button_labels() -> None:
    message = Message(blocks=(Paragraph(text="Pick one."),), choices=choices(5, length=25))
    payload = render_one(message)
    assert [b["label"] for b in buttons(payload)] == [choice.label for choice in message.choices]
    assert "**A.**" not in payload.embeds[0]["description"]


def test_every_button_decodes_to_its_press() -> None:
    message = every_block()
    for element, button in zip(buttons(render_one(message)), message.buttons, strict=True):
        press = decode(element["custom_id"], ACTOR)
        assert press is not None and (press.action, press.arg, press.token) == (
            button.action,
            button.arg,
            button.token,
        )


def test_a_3500_character_paragraph_fits_one_description_whole() -> None:
    paragraph = long_paragraph(3500)
    payload = render_one(Message(heading="Deep dive", blocks=(Paragraph(text=paragraph),)))
    assert payload.embeds[0]["description"] == paragraph


def test_text_beyond_one_message_continues_in_more_messages_with_buttons_last() -> None:
    paragraphs = tuple(Paragraph(text=long_paragraph(3500)) for _ in range(4))
    here = ProgressStrip(units=(StripUnit(label="L1", status="current"),))
    message = Message(heading="Everything", blocks=(*paragraphs, here), choices=choices(4))
    payloads = render_all(message)
    assert len(payloads) >= 3
    assert all(not payload.components for payload in payloads[:-1])
    assert len(buttons(payloads[-1])) == 4
    lettered = " ".join(
        f"{letter}. {choice.label}" for letter, choice in zip("ABCD", message.choices, strict=False)
    )
    assert words(description(payloads)) == words(" ".join(p.text for p in paragraphs) + " " + lettered)
    assert payloads[-1].embeds[-1]["footer"] == {"text": "L1 ▶\n✓ done · ▶ you are here · 🔒 locked"}
    assert payloads[0].embeds[0]["title"] == "Everything"


def test_a_heading_too_long_for_a_title_is_shown_whole_in_bold() -> None:
    heading = "A very long heading " * 15
    payload = render_one(Message(heading=heading, blocks=(Paragraph(text="Body."),)))
    embed = payload.embeds[0]
    assert "title" not in embed
    assert embed["description"].startswith(f"**{heading.strip()}**\n\nBody.")


def test_thirty_buttons_overflow_into_a_second_message() -> None:
    navigation = (Button(label="Menu", action="menu"), Button(label="Back", action="back"))
    message = Message(heading="Pick a unit", choices=choices(28, length=10), actions=navigation)
    first, second = render_all(message)
    assert len(first.components) == 5 and len(buttons(first)) == 25
    assert second.content == MORE_BUTTONS and len(buttons(second)) == 5
    assert [b["label"] for b in buttons(second)][-2:] == ["Menu", "Back"]
    all_ids = [b["custom_id"] for b in buttons(first) + buttons(second)]
    assert len(set(all_ids)) == 30


def test_many_key_terms_are_not_limited_by_embed_fields() -> None:
    terms = tuple((f"Term {i}", f"Definition number {i} — with unicode ✓.") for i in range(40))
    payload = render_one(Message(blocks=(KeyTermList(terms=terms),)))
    assert "**Term 39** — Definition number 39 — with unicode ✓." in payload.embeds[0]["description"]


def test_a_strip_too_long_for_a_footer_is_shown_in_the_text() -> None:
    units = tuple(StripUnit(label=f"Unit {i}", status="open") for i in range(300))
    payloads = render_all(Message(blocks=(ProgressStrip(units=units),)))
    assert "Unit 299" in description(payloads)
    assert all("footer" not in embed for payload in payloads for embed in payload.embeds)


def test_an_empty_card_still_says_something() -> None:
    assert render_one(Message()) == DiscordPayload(content="tutorbot")


def test_a_card_of_buttons_only_is_valid() -> None:
    payload = render_one(Message(actions=(Button(label="Resume", action="resume", style="primary"),)))
    assert payload.embeds == [] and len(buttons(payload)) == 1


def test_answered_card_drops_its_buttons_and_says_what_was_chosen() -> None:
    message = every_block()
    answered = render_discord_answered(message, message.choices[2].label)
    assert discord_problems(answered) == []
    assert answered.components == []
    assert answered.embeds[0]["description"].endswith(f"✅ You chose **C.** {message.choices[2].label}")
    assert answered.embeds[0]["footer"]["text"].startswith("L1 ✓")


def test_answered_card_that_is_already_full_still_fits() -> None:
    paragraph = long_paragraph(5950)  # the message is at Discord's 6000 characters already
    message = Message(
        blocks=(Paragraph(text=paragraph[:4000]), Paragraph(text=paragraph[4000:5900])), choices=choices(3)
    )
    answered = render_discord_answered(message, message.choices[0].label)
    assert discord_problems(answered) == []
    assert "You chose" in (answered.content + description([answered]))


def test_draft_shows_the_advisor_writing_with_a_cursor() -> None:
    draft = render_discord_draft(ReplyProgress(advisor="Priya", text="So far **so** good", turn=1))
    assert discord_problems(draft) == []
    assert draft.embeds[0]["description"] == "**Priya:** So far **so** good ▌"


@pytest.mark.parametrize("length", [0, 4000, 4100, 50_000])
def test_drafts_of_any_length_fit_one_embed_keeping_the_newest_words(length: int) -> None:
    text = " ".join(f"w{i}" for i in range(length // 4))[:length]
    draft = render_discord_draft(ReplyProgress(advisor="Priya", text=text, turn=1))
    assert discord_problems(draft) == []
    shown = draft.embeds[0]["description"]
    assert shown.startswith("**Priya:** ") and shown.endswith(" ▌")
    assert shown.removesuffix(" ▌").endswith(text.split(" ")[-1])
