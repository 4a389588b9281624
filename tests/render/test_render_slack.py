"""Slack Block Kit: every card passes Slack's limits and shows all of its text."""

from __future__ import annotations

from typing import Any

import pytest
from render_samples import ACTOR, choices, every_block, long_paragraph, strip, words

from bot.domain.messages import AdvisorReply, Button, Message, Paragraph, ReplyProgress
from bot.render.actions import decode
from bot.render.limits import slack_problems
from bot.render.slack import SlackMessage, render_slack, render_slack_answered, render_slack_draft


def texts(message: SlackMessage) -> list[str]:
    """Every piece of text a learner reads in the message, in order (buttons excluded)."""
    out: list[str] = []
    for block in message.blocks:
        if block["type"] in ("header", "section"):
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [element["text"] for element in block["elements"]]
    return out


def buttons(message: SlackMessage) -> list[dict[str, Any]]:
    return [
        element for block in message.blocks if block["type"] == "actions" for element in block["elements"]
    ]


def render_one(message: Message) -> SlackMessage:
    rendered = render_slack(message)
    assert len(rendered) == 1
    assert slack_problems(rendered[0]) == []
    return rendered[0]


def test_a_card_with_every_block_kind_passes_slacks_limits() -> None:
    slack = render_one(every_block())
    kinds = [block["type"] for block in slack.blocks]
    assert kinds[:2] == ["header", "context"]
    assert kinds[-2:] == ["actions", "actions"]  # answer letters, then navigation


def test_progress_strip_is_a_small_context_line() -> None:
    slack = render_one(every_block())
    assert slack.blocks[1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "L1 ✓ · Quiz ✓ · Lab ▶ · L2 · Quiz 🔒 · Module Test 🔒\n✓ done · ▶ you are here · 🔒 locked",
            }
        ],
    }


def test_light_markdown_becomes_mrkdwn_and_slack_control_characters_are_escaped() -> None:
    body = "\n".join(texts(render_one(every_block())))
    assert "The *ML engineer* ships _models_ → products · reliably. Costs &lt; 5% &amp; rising?" in body
    assert "• Docker &amp; Kubernetes\n• Feature stores → 🧠" in body
    assert "*Inference* — Running a trained model on new data." in body
    assert "*Priya:* Hi! Tell me about your _first_ deployment." in body


def test_a_quoted_mention_cannot_notify_anyone() -> None:
    slack = render_one(
        Message(blocks=(AdvisorReply(advisor="Priya", text="You wrote <!channel> and <@U123>"),))
    )
    assert "<" not in "".join(texts(slack)) + slack.text


def test_long_options_are_listed_in_full_with_letter_buttons() -> None:
    message = every_block()
    slack = render_one(message)
    body = "\n".join(texts(slack))
    for letter, choice in zip("ABCD", message.choices, strict=False):
        assert len(choice.label) == 150
        assert f"*{letter}.* {choice.label}" in body
    labels = [button["text"]["text"] for button in buttons(slack)]
    assert labels == ["A", "B", "C", "D", "Continue", "Reset lesson", "Menu"]


def test_short_options_are_the_button_labels_themselves() -> None:
    message = Message(blocks=(Paragraph(text="Is a model a product?"),), choices=choices(3, length=20))
    slack = render_one(message)
    assert [button["text"]["text"] for button in buttons(slack)] == [
        choice.label for choice in message.choices
    ]
    assert not any("*A.*" in text for text in texts(slack))


def test_every_button_decodes_to_its_press_and_keeps_its_style() -> None:
    message = every_block()
    elements = buttons(render_one(message))
    for element, button in zip(elements, message.buttons, strict=True):
        press = decode(element["value"], ACTOR)
        assert press is not None and (press.action, press.arg, press.token) == (
            button.action,
            button.arg,
            button.token,
        )
        assert element["action_id"] == element["value"]
    assert [element.get("style") for element in elements[4:]] == ["primary", "danger", None]


def test_a_3500_character_paragraph_spans_two_sections_and_loses_no_word() -> None:
    paragraph = long_paragraph(3500)
    slack = render_one(Message(heading="Deep dive", blocks=(Paragraph(text=paragraph),)))
    sections = [block for block in slack.blocks if block["type"] == "section"]
    assert len(sections) == 2
    assert words(" ".join(texts(slack)[1:])) == words(paragraph)
    assert all(section["text"]["text"].endswith("care.") for section in sections)  # whole sentences


def test_a_heading_too_long_for_a_header_block_is_shown_whole_in_bold() -> None:
    heading = (
        "Lesson 3 — AI Research Scientist: " + "reading papers, running ablations and writing them up " * 3
    )
    assert len(heading) > 150
    slack = render_one(Message(heading=heading, blocks=(Paragraph(text="Body."),)))
    assert slack.blocks[0]["type"] == "section"
    assert slack.blocks[0]["text"]["text"] == f"*{heading.strip()}*"
    assert len(slack.text) <= 150 and slack.text.endswith("…")


def test_a_heading_of_exactly_150_characters_stays_a_header() -> None:
    heading = ("Roles " * 30)[:149] + "!"
    slack = render_one(Message(heading=heading))
    assert slack.blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": heading, "emoji": True}}
    ]


def test_thirty_buttons_fill_two_actions_blocks_with_unique_ids() -> None:
    message = Message(
        heading="Pick a unit", choices=choices(30, length=12), actions=(Button(label="Menu", action="menu"),)
    )
    slack = render_one(message)
    actions = [block for block in slack.blocks if block["type"] == "actions"]
    assert [len(block["elements"]) for block in actions] == [25, 5, 1]
    ids = [element["action_id"] for element in buttons(slack)]
    assert len(set(ids)) == 31


def test_a_card_over_50_blocks_is_sent_as_several_messages_with_buttons_last() -> None:
    paragraphs = tuple(Paragraph(text=f"Paragraph {i}: {long_paragraph(500)}") for i in range(60))
    message = Message(
        heading="Everything",
        blocks=paragraphs,
        choices=choices(4),
        actions=(Button(label="Next", action="next"),),
    )
    parts = render_slack(message)
    assert len(parts) == 2
    for part in parts:
        assert slack_problems(part) == []
    long = render_slack(Message(blocks=(Paragraph(text="Which?"),), choices=choices(3, length=150)))[0]
    spoken = [e["accessibility_label"] for b in long.blocks if b["type"] == "actions" for e in b["elements"]]
    assert all(
        label.startswith(letter) and len(label) <= 75 for letter, label in zip("ABC", spoken, strict=True)
    )
    assert buttons(parts[0]) == []
    assert len(buttons(parts[1])) == 5
    assert [part.text for part in parts] == ["Everything (1/2)", "Everything (2/2)"]
    every_word = words(" ".join(text for part in parts for text in texts(part)))
    for paragraph in paragraphs:
        assert " ".join(words(paragraph.text)) in " ".join(every_word)


def test_fallback_text_is_the_heading_or_the_first_words_as_one_short_line() -> None:
    assert render_one(every_block()).text == "Lesson 1 — ML Engineer 🤖"
    long_first = render_one(Message(blocks=(Paragraph(text=long_paragraph(400)),)))
    assert len(long_first.text) <= 150 and long_first.text.startswith("Sentence1 says")
    advisor = render_one(Message(blocks=(AdvisorReply(advisor="Priya", text="Good & clear"),)))
    assert advisor.text == "Priya: Good &amp; clear"


def test_an_empty_card_is_still_a_valid_message() -> None:
    slack = render_one(Message(blocks=(Paragraph(text=""),)))
    assert slack == SlackMessage(text="tutorbot", blocks=[])


def test_answered_card_replaces_buttons_with_the_chosen_option() -> None:
    message = every_block()
    answered = render_slack_answered(message, message.choices[1].label)
    assert slack_problems(answered) == []
    assert buttons(answered) == []
    assert answered.blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"✅ You chose *B.* {message.choices[1].label}"}],
    }
    assert any(f"*B.* {message.choices[1].label}" in text for text in texts(answered))  # the list stays


def test_answered_with_a_navigation_button_names_it() -> None:
    answered = render_slack_answered(every_block(), "Continue")
    assert texts(answered)[-1] == "✅ You chose *Continue*"


def test_answered_card_of_a_split_message_is_its_last_part() -> None:
    paragraphs = tuple(Paragraph(text=f"Paragraph {i}.") for i in range(55))
    message = Message(blocks=paragraphs, choices=choices(2))
    answered = render_slack_answered(message, message.choices[0].label)
    assert slack_problems(answered) == []
    assert texts(answered)[0] == "Paragraph 50."


def test_draft_shows_the_advisor_writing_with_a_cursor() -> None:
    draft = render_slack_draft(ReplyProgress(advisor="Priya", text="Deploying is **hard** <because>", turn=1))
    assert slack_problems(draft) == []
    assert texts(draft) == ["*Priya:* Deploying is *hard* &lt;because&gt; ▌"]
    assert draft.text == "Priya: Deploying is hard…"  # the notification: its first whole words
    assert render_slack_draft(ReplyProgress(advisor="Priya", text="", turn=1)).text == "Priya is replying…"


def test_letter_buttons_say_their_option_to_a_screen_reader() -> None:
    message = Message(blocks=(Paragraph(text="Which?"),), choices=choices(3, length=40))
    [part] = render_slack(message)
    elements = [e for b in part.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["text"]["text"] for e in elements] == ["A", "B", "C"]
    assert [e["accessibility_label"] for e in elements] == [
        f"{letter}: {choice.label}" for letter, choice in zip("ABC", message.choices, strict=True)
    ]
    assert slack_problems(part) == []


@pytest.mark.parametrize("length", [10, 2999, 3001, 9000, 200_000])
def test_drafts_of_any_length_fit_in_one_message(length: int) -> None:
    text = ("word " * (length // 5 + 1))[:length]
    draft = render_slack_draft(ReplyProgress(advisor="Priya", text=text, turn=1))
    assert slack_problems(draft) == []
    assert texts(draft)[-1].endswith("▌")


def test_unicode_labels_and_a_75_plus_character_action_label_fit() -> None:
    label = "Continue to the next lesson → Data Scientist · 📊 " + "and more " * 5
    message = Message(blocks=(strip(),), actions=(Button(label=label, action="next", token="1"),))
    slack = render_one(message)
    text = buttons(slack)[0]["text"]["text"]
    assert (
        len(text) <= 75
        and text.endswith("…")
        and text.startswith("Continue to the next lesson → Data Scientist · 📊")
    )
