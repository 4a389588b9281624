"""The anonymised reveal (peer instruction): a question's distribution of first answers, posted
for the cohort to discuss.

What it posts holds counts and option texts only: never a name, a user id, or who chose what.
Options are named by their text, not by a letter, since each learner saw them in their own
shuffled order. It comes in two steps so that nobody is spoiled: the distribution first, with
a note at the top for learners who have not answered yet, and the correct option only when
the facilitator asks for it (`reveal … answer`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.course.models import Module
from bot.insight.items import TEST_UNIT, FirstAnswers, Item, course_items

MIN_ANSWERS = 5
"""Fewer first answers than this could let people guess who chose what."""
PROMPT = "Which option would you defend, and why? Say it in the thread before the answer is revealed."
SPOILER_NOTE = (
    "Not answered this question yet? Answer it in the course first: this shows how the cohort answered."
)
_SHORT = re.compile(r"^(?:L(?P<lesson>\d+)\s*Q|T)(?P<number>\d+)$", re.IGNORECASE)


class RevealRefused(Exception):
    """The reveal cannot be posted; the message says why in one line."""


@dataclass(frozen=True)
class Reveal:
    item: Item
    answers: int
    counts: tuple[tuple[str, int], ...]
    """(option text, times chosen as a first answer), in the authored order."""
    text: str
    png: bytes


def find_item(module: Module, question: str) -> Item | None:
    """A question by its id, or by its short name: `L2Q3` (lesson 2's quiz, question 3) or `T7`
    (the module test's question 7)."""
    items = course_items(module)
    wanted = question.strip()
    by_id = next((item for item in items if item.question.id == wanted), None)
    if by_id is not None:
        return by_id
    match = _SHORT.match(wanted)
    if match is None:
        return None
    number = int(match["number"])
    if match["lesson"] is None:
        unit_items = [item for item in items if item.unit == TEST_UNIT]
    else:
        lesson = next((each for each in module.lessons if each.number == int(match["lesson"])), None)
        if lesson is None:
            return None
        unit_items = [item for item in items if item.unit == lesson.quiz.id]
    return unit_items[number - 1] if 1 <= number <= len(unit_items) else None


def short_name(module: Module, item: Item) -> str:
    if item.unit == TEST_UNIT:
        return f"T{[q.id for q in module.test.questions].index(item.question.id) + 1}"
    lesson = next(each for each in module.lessons if each.quiz.id == item.unit)
    return f"L{lesson.number}Q{[q.id for q in lesson.quiz.questions].index(item.question.id) + 1}"


def distribution(module: Module, item: Item, learners: Iterable[FirstAnswers], cohort: str) -> Reveal:
    """The first step: the distribution, without the answer. Raises `RevealRefused` below
    `MIN_ANSWERS` first answers."""
    chosen = [
        option
        for answers in learners
        if (option := answers.get(item.unit, {}).get(item.question.id)) is not None
        and item.question.option(option) is not None
    ]
    if len(chosen) < MIN_ANSWERS:
        raise RevealRefused(
            f"Only {len(chosen)} of the cohort answered {short_name(module, item)}; a reveal needs at least "
            f"{MIN_ANSWERS} answers to stay anonymous."
        )
    counts = tuple((option.text, chosen.count(option.id)) for option in item.question.options)
    lines = [
        f"_{SPOILER_NOTE}_",
        f"**How {cohort} answered {short_name(module, item)}** ({len(chosen)} first answers)",
        item.question.stem,
        *(
            f"{n}. {text} — **{count}** ({count / len(chosen):.0%})"
            for n, (text, count) in enumerate(counts, 1)
        ),
        PROMPT,
    ]
    return Reveal(item, len(chosen), counts, "\n".join(lines), _bars(counts))


def answer_text(module: Module, item: Item) -> str:
    """The second step: the correct option and the course's explanation."""
    key = next(option for option in item.question.options if option.correct)
    return f"**The answer to {short_name(module, item)}:** {key.text}\n{item.question.feedback.correct}"


def _bars(counts: Sequence[tuple[str, int]]) -> bytes:
    """Bars numbered as the options are in the post's text (their texts are too long for labels)."""
    figure = Figure(figsize=(6.0, 0.9 + 0.7 * len(counts)), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(counts)))[::-1]
    values = [count for _, count in counts]
    axes.barh(positions, values, color="#3b6ea8")
    axes.set_yticks(positions, [f"Option {n}" for n in range(1, len(counts) + 1)], fontsize=14)
    for y, count in zip(positions, values, strict=True):
        axes.annotate(
            str(count), (count, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=14
        )
    axes.set_xlim(0, max(values) * 1.15 + 0.5)
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
