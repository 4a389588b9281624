"""Item analysis: how each quiz and test question works, from learners' first attempts only.

- **facility**: the share of first answers that were correct;
- **discrimination**: the corrected point-biserial, the Pearson correlation between the item
  (1 right, 0 wrong) and the rest of the learner's first-attempt score on the same quiz or test
  (their score without this item). It is computed over the learners whose first attempt
  answered every question of that quiz or test, so "the rest" means the same thing for each;
- **option counts**: how often each option was chosen, in the order the course authored them.

Later attempts are practice: they say little about the item, since the learner has seen the
feedback. A facilitator reset starts a new first attempt, and that one counts instead, as in
the learner's progress and the export.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic_core import from_json

from bot.course.models import Module, Question

MIN_ANSWERS = 20
"""Below this many first answers an item's figures are shown, marked provisional."""
TOO_EASY = 0.9
TOO_HARD = 0.3
WEAK_DISCRIMINATION = 0.2
TEST_UNIT = "test"
"""The unit key of the module test's questions (quiz questions use their quiz's id)."""


@dataclass(frozen=True)
class Item:
    """One question of a quiz or of the module test, as the course holds it."""

    unit: str
    question: Question

    @property
    def key(self) -> str:
        return next(option.id for option in self.question.options if option.correct)


@dataclass(frozen=True)
class ItemStats:
    item: Item
    answers: int
    facility: float | None
    discrimination: float | None
    """None when it cannot be computed: fewer than two complete first attempts, or no spread."""
    counts: tuple[tuple[str, int], ...]
    """(option id, times chosen) in the authored order."""
    flags: tuple[str, ...]
    provisional: bool

    @property
    def question_id(self) -> str:
        return self.item.question.id


def course_items(module: Module) -> list[Item]:
    """Every quiz question (lesson order), then every test question."""
    items = [Item(lesson.quiz.id, q) for lesson in module.lessons for q in lesson.quiz.questions]
    return items + [Item(TEST_UNIT, q) for q in module.test.questions]


FirstAnswers = dict[str, dict[str, str]]
"""unit → question id → option id chosen at the first attempt."""


def first_answers(log: Sequence[bytes]) -> FirstAnswers:
    """One learner's first-attempt answers, from their event log (oldest entry first)."""
    found: FirstAnswers = {}
    if not log:
        return found
    for entry in from_json(b"[" + b",".join(log) + b"]"):
        kind = entry.get("kind")
        if entry.get("attempt") != 1 or kind not in ("answer", "test_answer"):
            continue
        unit = TEST_UNIT if kind == "test_answer" else str(entry.get("quiz"))
        found.setdefault(unit, {})[str(entry.get("question"))] = str(entry.get("option"))
    return found


def analyse(
    module: Module, learners: Iterable[FirstAnswers], min_answers: int = MIN_ANSWERS
) -> list[ItemStats]:
    """The statistics of every item of `module`, over each learner's first answers."""
    items = course_items(module)
    by_unit: dict[str, list[Item]] = {}
    for item in items:
        by_unit.setdefault(item.unit, []).append(item)
    chosen: dict[str, list[str]] = {item.question.id: [] for item in items}
    complete: dict[str, list[dict[str, bool]]] = {unit: [] for unit in by_unit}
    for answers in learners:
        for unit, unit_items in by_unit.items():
            given = answers.get(unit, {})
            marks: dict[str, bool] = {}
            for item in unit_items:
                option = given.get(item.question.id)
                if option is None or item.question.option(option) is None:
                    continue
                chosen[item.question.id].append(option)
                marks[item.question.id] = option == item.key
            if len(marks) == len(unit_items):
                complete[unit].append(marks)
    return [_stats(item, chosen[item.question.id], complete[item.unit], min_answers) for item in items]


def _stats(item: Item, chosen: list[str], complete: list[dict[str, bool]], min_answers: int) -> ItemStats:
    counts = tuple((option.id, chosen.count(option.id)) for option in item.question.options)
    answers = len(chosen)
    facility = dict(counts)[item.key] / answers if answers else None
    pairs = [
        (float(marks[item.question.id]), float(sum(marks.values()) - marks[item.question.id]))
        for marks in complete
    ]
    discrimination = _pearson(pairs)
    return ItemStats(
        item=item,
        answers=answers,
        facility=facility,
        discrimination=discrimination,
        counts=counts,
        flags=_flags(item, answers, facility, discrimination, counts),
        provisional=answers < min_answers,
    )


def _pearson(pairs: Sequence[tuple[float, float]]) -> float | None:
    n = len(pairs)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / n
    mean_y = sum(y for _, y in pairs) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    syy = sum((y - mean_y) ** 2 for _, y in pairs)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _flags(
    item: Item,
    answers: int,
    facility: float | None,
    discrimination: float | None,
    counts: tuple[tuple[str, int], ...],
) -> tuple[str, ...]:
    if not answers or facility is None:
        return ()
    flags: list[str] = []
    if facility > TOO_EASY:
        flags.append(f"too easy: {facility:.0%} answer it right")
    if facility < TOO_HARD:
        flags.append(f"too hard: only {facility:.0%} answer it right")
    if discrimination is not None and discrimination < 0:
        flags.append(f"negative discrimination ({discrimination:.2f}): stronger learners miss it more")
    elif discrimination is not None and discrimination < WEAK_DISCRIMINATION:
        flags.append(f"weak discrimination ({discrimination:.2f}): it barely separates stronger learners")
    key_count = dict(counts)[item.key]
    for option_id, count in counts:
        if option_id == item.key:
            continue
        if count == 0:
            flags.append(f"distractor {option_id.upper()} is never chosen")
        elif count > key_count:
            flags.append(
                f"distractor {option_id.upper()} is chosen more than the key ({count} vs {key_count})"
            )
    return tuple(flags)


def option_columns(stats: Sequence[ItemStats]) -> list[str]:
    """The option count columns: one per option position the course uses (A, B, C, D…)."""
    most = max((len(s.counts) for s in stats), default=0)
    return [f"option_{chr(ord('a') + n)}" for n in range(most)]


def as_csv(stats: Sequence[ItemStats]) -> str:
    """One row per question: `question`, `answers`, `facility`, `discrimination`, one count
    column per option (in authored order), `flags` (joined by "; ")."""
    out = io.StringIO()
    writer = csv.writer(out)
    options = option_columns(stats)
    writer.writerow(["question", "answers", "facility", "discrimination", *options, "flags"])
    for s in stats:
        counts = [str(count) for _, count in s.counts] + [""] * (len(options) - len(s.counts))
        flags = list(s.flags) + (["provisional: fewer than the minimum of answers"] if s.provisional else [])
        writer.writerow(
            [
                s.question_id,
                s.answers,
                "" if s.facility is None else f"{s.facility:.3f}",
                "" if s.discrimination is None else f"{s.discrimination:.3f}",
                *counts,
                "; ".join(flags),
            ]
        )
    return out.getvalue()
