"""Item analysis checked against numpy on a synthetic cohort whose answers follow a known model
(ability against difficulty, with distractors of chosen pull), and its flags on items built to
be too easy, too hard, with a dead distractor, or with a distractor stronger than the key."""

from __future__ import annotations

import csv
import io
import math
import random

import numpy as np
import pytest

from bot.course.loader import load_module
from bot.course.models import Module
from bot.insight.items import TEST_UNIT, FirstAnswers, Item, analyse, as_csv, course_items
from tests.engine.conftest import COURSE

LEARNERS = 400


@pytest.fixture(scope="module")
def module() -> Module:
    return load_module(COURSE)


def _wrong(item: Item) -> list[str]:
    return [o.id for o in item.question.options if not o.correct]


def synthetic(module: Module, seed: int = 7) -> tuple[list[FirstAnswers], dict[str, Item]]:
    """Learners with an ability each; item 0 of the test is too easy, item 1 too hard with one
    distractor taking most wrong answers, item 2 has a distractor nobody picks. About one in
    ten learners leaves their first test attempt unfinished."""
    rng = random.Random(seed)
    items = course_items(module)
    test = [item for item in items if item.unit == TEST_UNIT]
    special = {"easy": test[0], "hard": test[1], "dead": test[2]}
    difficulty = {item.question.id: rng.uniform(-1.0, 1.0) for item in items}
    difficulty[special["easy"].question.id] = -6.0
    difficulty[special["hard"].question.id] = 2.5
    learners: list[FirstAnswers] = []
    for _ in range(LEARNERS):
        ability = rng.gauss(0, 1.2)
        answers: FirstAnswers = {}
        quits_at = rng.randrange(len(test)) if rng.random() < 0.1 else None
        for item in items:
            if item.unit == TEST_UNIT and quits_at is not None and test.index(item) >= quits_at:
                continue
            p = 1 / (1 + math.exp(-(ability - difficulty[item.question.id])))
            if rng.random() < p:
                option = item.key
            elif item is special["hard"]:
                option = _wrong(item)[0] if rng.random() < 0.8 else rng.choice(_wrong(item)[1:])
            elif item is special["dead"]:
                option = rng.choice(_wrong(item)[:2])
            else:
                option = rng.choice(_wrong(item))
            answers.setdefault(item.unit, {})[item.question.id] = option
        learners.append(answers)
    return learners, special


def expected(module: Module, learners: list[FirstAnswers], item: Item) -> tuple[int, float, float, list[int]]:
    unit = [each for each in course_items(module) if each.unit == item.unit]
    chosen = [a[item.unit][item.question.id] for a in learners if item.question.id in a.get(item.unit, {})]
    complete = [a[item.unit] for a in learners if len(a.get(item.unit, {})) == len(unit)]
    marks = np.array([[answers[q.question.id] == q.key for q in unit] for answers in complete], dtype=float)
    column = unit.index(item)
    rest = marks.sum(axis=1) - marks[:, column]
    discrimination = float(np.corrcoef(marks[:, column], rest)[0, 1])
    counts = [chosen.count(o.id) for o in item.question.options]
    return len(chosen), float(np.mean([c == item.key for c in chosen])), discrimination, counts


def test_facility_discrimination_and_counts_match_numpy(module: Module) -> None:
    learners, _ = synthetic(module)
    stats = analyse(module, learners)
    assert len(stats) == len(course_items(module))
    checked = 0
    for s in stats:
        answers, facility, discrimination, counts = expected(module, learners, s.item)
        assert s.answers == answers
        assert s.facility == pytest.approx(facility, abs=1e-12)
        assert [count for _, count in s.counts] == counts
        if math.isnan(discrimination):
            assert s.discrimination is None
        else:
            assert s.discrimination == pytest.approx(discrimination, abs=1e-9)
            checked += 1
        assert not s.provisional
    assert checked >= len(stats) - 1


def test_flags_name_what_is_wrong_with_each_built_item(module: Module) -> None:
    learners, special = synthetic(module)
    by_id = {s.question_id: s for s in analyse(module, learners)}
    easy, hard, dead = (by_id[special[k].question.id] for k in ("easy", "hard", "dead"))
    assert any(flag.startswith("too easy") for flag in easy.flags)
    assert any(flag.startswith("too hard") for flag in hard.flags)
    strong = _wrong(special["hard"])[0].upper()
    assert any(f"distractor {strong} is chosen more than the key" in flag for flag in hard.flags)
    never = _wrong(special["dead"])[2].upper()
    assert f"distractor {never} is never chosen" in dead.flags
    ordinary = [s for s in by_id.values() if s.item not in special.values() and s.item.unit == TEST_UNIT]
    assert any(not s.flags for s in ordinary)


def test_a_negative_item_is_flagged_and_few_answers_are_provisional(module: Module) -> None:
    quiz = module.lessons[0].quiz
    first, second, third = (Item(quiz.id, q) for q in quiz.questions)
    wrong = _wrong(first)[0]
    # Learners who get the other two right miss the first, and the other way round.
    learners: list[FirstAnswers] = []
    for n in range(8):
        strong = n % 2 == 0
        learners.append(
            {
                quiz.id: {
                    first.question.id: wrong if strong else first.key,
                    second.question.id: second.key if strong else _wrong(second)[0],
                    third.question.id: third.key if strong else _wrong(third)[0],
                }
            }
        )
    stats = {s.question_id: s for s in analyse(module, learners)}
    assert stats[first.question.id].discrimination == pytest.approx(-1.0)
    assert any("negative discrimination" in flag for flag in stats[first.question.id].flags)
    assert stats[first.question.id].provisional
    unanswered = stats[module.test.questions[0].id]
    assert unanswered.answers == 0 and unanswered.facility is None and unanswered.flags == ()


def test_csv_has_the_contracted_columns_and_one_row_per_question(module: Module) -> None:
    learners, special = synthetic(module)
    stats = analyse(module, learners)
    rows = list(csv.DictReader(io.StringIO(as_csv(stats))))
    header = list(rows[0].keys())
    assert header[:4] == ["question", "answers", "facility", "discrimination"]
    assert header[-1] == "flags"
    assert header[4:-1] == ["option_a", "option_b", "option_c", "option_d"]
    assert [row["question"] for row in rows] == [s.question_id for s in stats]
    hard = next(row for row in rows if row["question"] == special["hard"].question.id)
    s = next(s for s in stats if s.item == special["hard"])
    assert [int(hard[c]) for c in header[4:-1]] == [count for _, count in s.counts]
    assert float(hard["facility"]) == pytest.approx(s.facility, abs=1e-3)
    assert "too hard" in hard["flags"]
