"""Which units are open and done, what comes next, and what each unit is called.

Unlocking: lesson N opens when lesson N-1 has been read; a lesson's quiz and lab open when the
lesson has been read; the module test opens when every quiz and lab is done (or a facilitator
unlocked it, or the learner's cohort opens it early). A cohort that releases lessons on a
schedule holds a lesson back until its day (`opens_on`), whatever the rules above say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.course.models import Module, Unit, UnitKind
from bot.domain.messages import Button
from bot.domain.state import LearnerState, Progress
from bot.flows.cards import button
from bot.flows.terms import lesson_opens_at, test_open_early


@dataclass(frozen=True)
class UnitRules:
    is_done: Callable[[Progress, Unit], bool]
    is_open: Callable[[LearnerState, Module, Unit], bool]
    title: Callable[[int | None], str]
    """The unit's name given its lesson's number ("Lesson 2 quiz"); the module test has no lesson."""


def _lesson_open(state: LearnerState, module: Module, unit: Unit) -> bool:
    progress = state.progress
    lesson = module.lesson(unit.id)
    assert lesson is not None
    return all(other.id in progress.lessons_done for other in module.lessons if other.number < lesson.number)


def _after_lesson(state: LearnerState, module: Module, unit: Unit) -> bool:
    return unit.lesson_id in state.progress.lessons_done


def _test_open(state: LearnerState, module: Module, unit: Unit) -> bool:
    progress = state.progress
    if progress.test_unlocked or test_open_early(state):
        return True
    return all(
        lesson.quiz.id in progress.quizzes and progress.lab_done(lesson.lab.id) for lesson in module.lessons
    )


RULES: dict[UnitKind, UnitRules] = {
    UnitKind.LESSON: UnitRules(
        is_done=lambda progress, unit: unit.id in progress.lessons_done,
        is_open=_lesson_open,
        title=lambda number: f"Lesson {number}",
    ),
    UnitKind.QUIZ: UnitRules(
        is_done=lambda progress, unit: unit.id in progress.quizzes,
        is_open=_after_lesson,
        title=lambda number: f"Lesson {number} quiz",
    ),
    UnitKind.LAB: UnitRules(
        is_done=lambda progress, unit: progress.lab_done(unit.id),
        is_open=_after_lesson,
        title=lambda number: f"Lab {number}",
    ),
    UnitKind.TEST: UnitRules(
        is_done=lambda progress, unit: progress.passed,
        is_open=_test_open,
        title=lambda number: "Module test",
    ),
}
"""Unit kind → its rules: the one place that says when a kind of unit opens and is done."""


def is_done(state: LearnerState, unit: Unit) -> bool:
    return RULES[unit.kind].is_done(state.progress, unit)


def opens_on(state: LearnerState, module: Module, unit: Unit, now: float) -> float | None:
    """When the cohort's schedule releases this lesson, if it is still held back at `now`
    (None otherwise). Only lessons are scheduled: a quiz or lab waits for its lesson anyway."""
    if unit.kind is not UnitKind.LESSON:
        return None
    lesson = module.lesson(unit.id)
    assert lesson is not None
    return lesson_opens_at(state, lesson.number, now)


def is_open(state: LearnerState, module: Module, unit: Unit, now: float) -> bool:
    if opens_on(state, module, unit, now) is not None:
        return False
    return RULES[unit.kind].is_open(state, module, unit)


def test_is_open(state: LearnerState, module: Module) -> bool:
    """The module test's own rule (no schedule holds it back)."""
    unit = module.unit(module.test.id)
    assert unit is not None
    return RULES[UnitKind.TEST].is_open(state, module, unit)


def unit_title(module: Module, unit: Unit) -> str:
    lesson = module.lesson(unit.lesson_id) if unit.lesson_id else None
    return RULES[unit.kind].title(lesson.number if lesson else None)


def next_unit(state: LearnerState, module: Module, after: str, now: float) -> Unit | None:
    """The first open, unfinished unit after `after` in the module order, else any open unfinished one."""
    units = list(module.units)
    index = next((i for i, unit in enumerate(units) if unit.id == after), -1)
    for unit in units[index + 1 :] + units[: index + 1]:
        if unit.id != after and is_open(state, module, unit, now) and not is_done(state, unit):
            return unit
    return None


def continue_button(state: LearnerState, module: Module, after: str, now: float) -> tuple[Button, ...]:
    """A primary button to the next unit to do, or nothing when there is none."""
    unit = next_unit(state, module, after, now)
    if unit is None:
        return ()
    return (button(state, f"Continue: {unit_title(module, unit)}", "open", unit.id, primary=True),)
