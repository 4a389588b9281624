"""Splitting, truncating and markdown translation: long text fits and reads, and no word is lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from render_samples import long_paragraph, words

from bot.render.markdown import emphasis_spans, to_discord, to_plain, to_slack
from bot.render.text import split_text, truncate, truncate_start


def test_a_long_paragraph_is_split_between_sentences_and_keeps_every_word() -> None:
    text = long_paragraph(3500)
    chunks = split_text(text, 3000)
    assert len(chunks) == 2
    assert all(len(chunk) <= 3000 for chunk in chunks)
    assert chunks[0].endswith("care.")  # a sentence boundary, not mid-sentence
    assert words(" ".join(chunks)) == words(text)


def test_paragraph_breaks_are_preferred_to_sentence_breaks() -> None:
    first, second = "First paragraph. " * 10, "Second paragraph. " * 10
    chunks = split_text(f"{first.strip()}\n\n{second.strip()}", 250)
    assert chunks == [first.strip(), second.strip()]


def test_a_bold_phrase_is_not_cut_in_two_when_a_word_boundary_outside_it_exists() -> None:
    text = "word " * 20 + "**a bold phrase that must stay whole**" + " tail" * 20
    chunks = split_text(text, 120, protect=emphasis_spans)
    assert any("**a bold phrase that must stay whole**" in chunk for chunk in chunks)
    assert words(" ".join(chunks)) == words(text)


def test_a_word_longer_than_the_limit_is_cut_but_nothing_is_lost() -> None:
    url = "https://example.com/" + "x" * 250
    chunks = split_text(f"see {url} now", 100)
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert "".join(chunks).replace(" ", "") == f"see{url}now"


def test_blank_text_gives_no_chunks_so_no_empty_block_is_sent() -> None:
    assert split_text("   \n\n  ", 3000) == []


@given(st.text(min_size=1, max_size=800), st.integers(10, 200))
def test_any_text_splits_into_chunks_within_the_limit_keeping_every_character(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(1 <= len(chunk) <= limit for chunk in chunks)
    assert "".join("".join(chunk.split()) for chunk in chunks) == "".join(text.split())


def test_split_respects_the_rendered_length_not_the_source_length() -> None:
    text = "a & b < c " * 500  # 5000 characters; escaped for Slack, 8500
    chunks = split_text(text, 3000, measure=lambda s: len(to_slack(s)))
    assert all(len(to_slack(chunk)) <= 3000 for chunk in chunks)
    assert len(chunks) == 3


def test_truncate_ends_at_a_word_with_an_ellipsis() -> None:
    heading = "Module 2 — Technical Roles: " + "a very long subtitle " * 8
    short = truncate(heading, 150)
    assert len(short) <= 150
    assert short.endswith("…")
    assert heading.startswith(short[:-1])
    assert not short[:-1].endswith(" ")
    assert heading[len(short) - 1] == " "  # cut at a space, not inside a word


def test_truncate_leaves_text_that_fits_alone() -> None:
    assert truncate("Continue", 75) == "Continue"


def test_truncate_start_keeps_the_latest_words() -> None:
    text = " ".join(f"w{i}" for i in range(2000))
    tail = truncate_start(text, 100)
    assert len(tail) <= 100
    assert tail.startswith("…") and tail.endswith("w1999")


def test_slack_gets_single_asterisk_bold_and_escaped_control_characters() -> None:
    assert to_slack("**Bold** and _italic_ & <!channel>") == "*Bold* and _italic_ &amp; &lt;!channel&gt;"


def test_discord_markdown_is_the_same_light_markdown() -> None:
    assert to_discord("**Bold** and _italic_") == "**Bold** and _italic_"


def test_plain_text_drops_markers_but_keeps_snake_case_and_lone_asterisks() -> None:
    assert to_plain("**Bold** _italic_ my_var_name 5 * 3") == "Bold italic my_var_name 5 * 3"


def test_emphasis_never_spans_lines() -> None:
    assert to_slack("**not\nbold**") == "**not\nbold**"
