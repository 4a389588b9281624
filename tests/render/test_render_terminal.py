"""Terminal cards: readable plain text, and buttons the learner picks by number or label."""

from __future__ import annotations

from render_samples import every_block, long_paragraph, words

from bot.domain.messages import AdvisorReply, Button, Message, Paragraph, ReplyProgress
from bot.render.terminal import TerminalCard, render_draft, render_terminal


def test_buttons_are_numbered_choices_first_then_actions() -> None:
    message = every_block()
    card = render_terminal(message)
    assert card.buttons == message.choices + message.actions
    assert "  1. Option A0:" in card.text
    assert "  4. Option D3:" in card.text
    assert "[5] Continue" in card.text and "[6] Reset lesson" in card.text and "[7] Menu" in card.text


def test_a_typed_number_or_label_picks_the_button() -> None:
    message = every_block()
    card = render_terminal(message)
    assert card.pick("2") == message.choices[1]
    assert card.pick(" continue ") == message.actions[0]
    assert card.pick("MENU") == message.actions[2]


def test_anything_else_picks_nothing_so_it_goes_to_the_advisor_as_text() -> None:
    card = render_terminal(every_block())
    for typed in ("0", "8", "-1", "", "hello", "²", "1.5"):
        assert card.pick(typed) is None


def test_a_label_shared_by_two_buttons_is_ambiguous_but_numbers_still_work() -> None:
    twice = Message(actions=(Button(label="Next", action="next"), Button(label="Next", action="back")))
    card = render_terminal(twice)
    assert card.pick("next") is None
    assert card.pick("2") == twice.actions[1]


def test_progress_strip_shows_done_current_locked_and_open() -> None:
    text = render_terminal(every_block()).text
    assert "L1 ✓ · Quiz ✓ · Lab ▶ · L2 · Quiz 🔒 · Module Test 🔒" in text


def test_key_terms_read_term_dash_definition_without_markdown() -> None:
    text = render_terminal(every_block()).text
    assert "Inference — Running a trained model on new data." in text
    assert "**" not in text


def test_advisor_reply_is_prefixed_with_the_advisors_name() -> None:
    text = render_terminal(every_block()).text
    assert "Priya: Hi! Tell me about your first deployment." in text
    offline = render_terminal(
        Message(blocks=(AdvisorReply(advisor="Priya", text="From the lesson…", offline=True),))
    )
    assert offline.text == "Priya (offline): From the lesson…"


def test_heading_bullets_and_unicode_are_shown() -> None:
    text = render_terminal(every_block()).text
    assert text.startswith("Lesson 1 — ML Engineer 🤖\n───")
    assert "• Docker & Kubernetes" in text and "• Feature stores → 🧠" in text
    assert "ships models → products · reliably. Costs < 5% & rising?" in text


def test_a_long_paragraph_is_printed_whole() -> None:
    paragraph = long_paragraph(3500)
    card = render_terminal(Message(blocks=(Paragraph(text=paragraph),)))
    assert words(card.text) == words(paragraph)


def test_empty_paragraphs_leave_no_blank_gaps() -> None:
    card = render_terminal(
        Message(blocks=(Paragraph(text=""), Paragraph(text="Hello"), Paragraph(text="  ")))
    )
    assert card.text == "Hello"
    assert card == TerminalCard(text="Hello")


def test_draft_shows_the_advisor_still_writing() -> None:
    assert (
        render_draft(ReplyProgress(advisor="Priya", text="So far **so** good", turn=2))
        == "Priya: So far so good ▌"
    )
