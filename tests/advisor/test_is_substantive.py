from __future__ import annotations

import pytest

from bot.advisor.substance import is_substantive, normalise


@pytest.mark.parametrize(
    "message",
    [
        "What tools matter most on day one?",
        "How much time is spent on research versus systems work",
        "I think monitoring for drift sounds like the hardest part.",
        "What is quantization?",  # a question may be three words
        "Can you compare PyTorch and TensorFlow for serving?",
        "¿Qué herramientas importan más el primer día?",
        "初日に最も重要なツールは何ですか？",
    ],
)
def test_real_questions_and_thoughts_count(message: str) -> None:
    assert is_substantive(message, [])


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "\n\t",
        "ok",
        "OK!",
        "okay.",
        "thanks",
        "Thanks!!",
        "thank you so much",
        "cool",
        "cool cool cool",
        "ok thanks",
        "nice, got it",
        "👍",
        "🙂🙂",
        "👍 ok",
        "...",
        "?",
        "yes please",
    ],
)
def test_acknowledgements_and_noise_do_not_count(message: str) -> None:
    assert not is_substantive(message, [])


@pytest.mark.parametrize("message", ["Tell me more", "drift sounds hard", "and quantization too"])
def test_short_statements_do_not_count(message: str) -> None:
    assert not is_substantive(message, [])


def test_two_word_question_is_too_short() -> None:
    assert not is_substantive("Why drift?", [])
    assert not is_substantive("なぜ？", [])


@pytest.mark.parametrize(
    "repeat",
    [
        "What tools matter most on day one?",
        "what tools matter most on day one",
        "  WHAT tools   matter most, on day one?!  ",
        "What tools matter most on day one? 👍",
    ],
)
def test_a_repeat_of_an_earlier_message_does_not_count(repeat: str) -> None:
    earlier = ["Hello there, how are you doing today?", "What tools matter most on day one?"]
    assert not is_substantive(repeat, earlier)


def test_a_repeat_of_a_long_message_kept_truncated_does_not_count() -> None:
    long = (
        "I am preparing for an informational interview next week and I would like to understand how an ML"
        " engineer splits their time between research work and building production systems at a startup."
    )
    assert not is_substantive(long, [long[:160]])
    assert is_substantive("How does that split change at a big tech company instead?", [long[:160]])


def test_a_different_message_after_earlier_ones_counts() -> None:
    earlier = ["What tools matter most on day one?"]
    assert is_substantive("What tools matter most in the first year?", earlier)


def test_filler_words_inside_a_real_question_are_fine() -> None:
    assert is_substantive("ok so how do you detect model drift?", [])


def test_normalise_ignores_case_punctuation_spacing_and_emoji() -> None:
    assert normalise("  Hello,   WORLD!! 🙂 ") == "hello world"
    assert normalise("It’s fine") == "it’s fine"
