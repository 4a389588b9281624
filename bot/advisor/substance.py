"""Does a learner's lab message count as one of the lab's exchanges?

A lab completes after a few real exchanges, so "ok", "thanks", an emoji, or the same question
pasted twice must not tick it along. The engine calls `is_substantive` for every lab message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

MIN_WORDS = 4
"""Words a statement needs to count. A question (it has a "?") may have one fewer:
"What is quantization?" is a real question in three words."""

TRUNCATED_REPEAT_CHARS = 100
"""An earlier message at least this long (normalised) that a new one starts with is a repeat."""

# Acknowledgements and small talk that carry no question or thought, alone or combined
# ("ok thanks", "cool cool cool", "yes please").
FILLER_WORDS = frozenset(
    [
        "ok",
        "okay",
        "okey",
        "k",
        "kk",
        "alright",
        "right",
        "sure",
        "fine",
        "yes",
        "yeah",
        "yep",
        "yup",
        "no",
        "nope",
        "nah",
        "thanks",
        "thank",
        "thx",
        "ty",
        "tysm",
        "cheers",
        "you",
        "so",
        "much",
        "very",
        "cool",
        "nice",
        "great",
        "awesome",
        "good",
        "perfect",
        "wow",
        "lol",
        "haha",
        "hah",
        "hmm",
        "hm",
        "mhm",
        "uh",
        "um",
        "hi",
        "hello",
        "hey",
        "yo",
        "got",
        "it",
        "i",
        "see",
        "understood",
        "noted",
        "please",
        "plz",
    ]
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Chinese and Japanese are written without spaces: there, about two characters make a word.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=8_192)  # a lab compares each message with the learner's last few, every turn
def normalise(message: str) -> str:
    """Lower-case words only: case, Unicode width forms, punctuation, emoji and spacing ignored."""
    text = unicodedata.normalize("NFKC", message).casefold()
    return " ".join(_WORD.findall(text))


def _word_count(token: str) -> int:
    unspaced = len(_UNSPACED.findall(token))
    return max(1, unspaced // 2) if unspaced else 1


def is_substantive(message: str, previous_learner_messages: Sequence[str]) -> bool:
    """True when `message` counts toward the lab's exchanges.

    It does not count when it is empty (or only punctuation or emoji), only acknowledgement
    words ("ok", "thanks", "cool"…), a repeat of an earlier learner message once case,
    punctuation and spacing are ignored, or shorter than `MIN_WORDS` words (one fewer for a
    question). `previous_learner_messages` may be truncated copies: a message that starts with
    a long earlier one counts as its repeat.
    """
    normal = normalise(message)
    if not normal:
        return False
    words = normal.split()
    if all(word in FILLER_WORDS for word in words):
        return False
    needed = MIN_WORDS - 1 if "?" in unicodedata.normalize("NFKC", message) else MIN_WORDS
    count = sum(_word_count(word) for word in words) if _UNSPACED.search(normal) else len(words)
    if count < needed:
        return False
    return not any(_repeats(normal, normalise(previous)) for previous in previous_learner_messages)


def _repeats(normal: str, previous: str) -> bool:
    # Callers may keep only the start of earlier messages, so a long earlier text that this
    # message starts with is taken for a truncated copy of it.
    return normal == previous or (len(previous) >= TRUNCATED_REPEAT_CHARS and normal.startswith(previous))
