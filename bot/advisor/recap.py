"""What a learner raised in a lab, in their own words: the stuff of the lab's closing recap.

Only messages the learner typed count here (not opener presses), so the recap speaks of their
thinking, not of terms only the advisor used. The flow keeps the few topics found, capped, in
the lab step; both advisors build the recap from them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.advisor.retrieval import LessonIndex, search, touched_key_terms
from bot.course.models import DesignBrief, Lab

TOPICS_KEPT = 6


def topics_in(index: LessonIndex, text: str) -> list[str]:
    """Key terms the message names, else the section it is best answered by (`index` is the
    lesson's)."""
    terms = touched_key_terms(index, [text])
    if terms:
        return terms
    hits = search(index, text, limit=1)
    if not hits:
        return []
    passage = hits[0].passage
    return [passage.term] if passage.term else [passage.section]


def merge(kept: Sequence[str], found: Sequence[str], cap: int = TOPICS_KEPT) -> list[str]:
    """`kept` then the new `found` items not already in it, at most `cap` (the earliest stay)."""
    out = list(kept)
    out += [item for item in dict.fromkeys(found) if item not in out]
    return out[:cap]


def _piece_pattern(word: str) -> re.Pattern[str]:
    body = r"\W*".join(re.escape(part) for part in re.findall(r"[A-Za-z0-9]+|&", word))
    return re.compile(r"(?<![A-Za-z0-9])" + body + r"(?:s|es|ing|ed)?(?![A-Za-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class _PieceWord:
    piece: int
    """Position of its piece in the brief."""
    first: str
    rest: tuple[str, ...]
    """Its parts, lower case: text naming the word holds each (`first` is "" when it has none)."""
    pattern: re.Pattern[str]


@lru_cache(maxsize=64)
def _piece_words(design: DesignBrief) -> tuple[_PieceWord, ...]:
    """Every word of every piece, made once per brief (a lab message looks for all of them)."""
    found = []
    for n, piece in enumerate(design.pieces):
        for word in piece.words:
            parts = tuple(part.lower() for part in re.findall(r"[A-Za-z0-9]+|&", word))
            found.append(_PieceWord(n, parts[0] if parts else "", parts[1:], _piece_pattern(word)))
    return tuple(found)


def pieces_in(design: DesignBrief, text: str) -> list[str]:
    """The names of the design pieces `text` proposes, in the brief's order."""
    # A word's pattern matches only text holding each of its parts: checking that first spares
    # most searches (in ASCII text, where lower-casing matches what IGNORECASE does).
    lowered = text.lower() if text.isascii() else None
    named: set[int] = set()
    for word in _piece_words(design):
        if word.piece in named:
            continue
        if lowered is not None and (word.first not in lowered or not all(p in lowered for p in word.rest)):
            continue
        if word.pattern.search(text):
            named.add(word.piece)
    return [piece.name for n, piece in enumerate(design.pieces) if n in named]


def join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def design_recap(lab: Lab, pieces: Sequence[str]) -> str:
    """The learner's pieces, or a question asking for the missing ones."""
    design = lab.design
    assert design is not None
    wanted = design.asks_for
    if len(pieces) >= wanted:
        listed = "; ".join(f"{n}. {piece}" for n, piece in enumerate(pieces[:wanted], 1))
        return f"Your {wanted} infrastructure pieces: {listed}."
    if not pieces:
        return (
            f"Your design still needs its {wanted} infrastructure pieces: which would you build first, "
            "and why?"
        )
    missing = wanted - len(pieces)
    more = "one more piece" if missing == 1 else f"{missing} more pieces"
    return f"So far your design has {join(list(pieces))}. Which {more} would you build, and why?"


def recap_text(lab: Lab, raised: Sequence[str], pieces: Sequence[str]) -> str:
    """The closing recap: what the learner raised, and for a design lab their pieces."""
    parts = [f"Recap: that completes {lab.title}."]
    if raised:
        parts.append(f"In your own words you raised {join(list(raised))}.")
    else:
        parts.append(
            "Your messages came from the suggested openers; your own questions are welcome any time."
        )
    if lab.design is not None:
        parts.append(design_recap(lab, pieces))
    return " ".join(parts)
