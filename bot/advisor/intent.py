"""What a lab message asks for, as far as the offline advisor needs to know before answering.

Some requests get an honest redirect instead of a quoted passage: asking for quiz or test
answers, or for the advisor's instructions. A question starting "which", "should I" or "how"
is answered by pointing at the list or section that bears on it.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Ask(StrEnum):
    QUESTION = "question"
    """Which / should I / how: the learner wants a choice or a way; point at a list or section."""
    OTHER = "other"
    TEST_ANSWERS = "test_answers"
    PROMPT = "prompt"


_TEST_ANSWERS = re.compile(
    r"\b(?:quiz|test|exam|module test)\b.{0,40}\b(?:answers?|solutions?|key)\b"
    r"|\b(?:answers?|solutions?)\b.{0,40}\b(?:quiz|test|exam|questions?\s*\d+|q\d+)\b"
    r"|\b(?:which|what)\s+(?:option|letter|choice)\b"
    r"|\bcorrect\s+(?:option|letter|choice)\b"
    r"|\bis\s+(?:it|the answer)\s+[abcd]\b",
    re.IGNORECASE,
)
_PROMPT = re.compile(
    r"\b(?:system\s+prompt|your\s+(?:prompt|instructions|rules)|(?:reveal|show|print|repeat)\b.{0,30}"
    r"\b(?:prompt|instructions)|ignore\s+(?:all\s+|your\s+|the\s+)?(?:previous|prior|above)\b"
    r"|what\s+(?:were|are)\s+you\s+told)",
    re.IGNORECASE,
)
_CHOICE = re.compile(
    r"^\s*(?:which|should\s+(?:i|we)|how|what\s+should"
    r"|what\s+(?:[\w-]+\s+){0,2}(?:tools?|skills?|stack|frameworks?|languages?|libraries|components?)"
    r"|what(?:'s|\s+is|\s+are)\s+the\s+best)\b",
    re.IGNORECASE,
)


_SENTENCE = re.compile(r"(?<=[.!?\n])\s*")

# Words without which a pattern cannot match (each alternative of it needs one of them). In
# ASCII text, where lower-casing matches exactly what IGNORECASE does, a message holding none of
# them is spared the search, which tries every position.
_PROMPT_NEEDS = ("system", "your", "prompt", "instructions", "ignore", "told")
_TEST_ANSWERS_NEEDS = ("quiz", "test", "exam", "answer", "solution", "option", "letter", "choice")


def classify(message: str) -> Ask:
    ascii_only = message.isascii()
    lowered = message.lower()
    if (not ascii_only or any(word in lowered for word in _PROMPT_NEEDS)) and _PROMPT.search(message):
        return Ask.PROMPT
    # "is it b": the one alternative needing none of the words.
    may_ask_answers = any(word in lowered for word in _TEST_ANSWERS_NEEDS) or (
        "is" in lowered and "it" in lowered
    )
    if (not ascii_only or may_ask_answers) and _TEST_ANSWERS.search(message):
        return Ask.TEST_ANSWERS
    # The question may follow a line of context ("I'm a student. Which…"): look at each sentence
    # (`match`, since the pattern is anchored at a sentence's start). A message of one sentence
    # (no sentence end before its last character) is that sentence, and spared the split.
    body = message[:-1]
    if "?" in body or "." in body or "!" in body or "\n" in body:
        found = any(_CHOICE.match(part) for part in _SENTENCE.split(message))
    else:
        found = _CHOICE.match(message) is not None
    return Ask.QUESTION if found else Ask.OTHER
