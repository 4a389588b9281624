"""Where a learner stopped, and about how long the rest of that unit takes: what a nudge says
("Lesson 3 · Quiz, question 2 of 3 — about 4 minutes to finish").

The estimate comes from the course itself: the words left to read in a lesson (at
`WORDS_PER_MINUTE`), the questions left in a quiz or the test, the exchanges left in a lab.
A learner on the menu (or not started) is pointed at the unit they would open next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.course.models import Module, Unit, UnitKind
from bot.domain.messages import Block, Bullets, KeyTermList, Message, Paragraph
from bot.domain.state import LabStep, LearnerState, LessonStep, QuizStep, TestStep
from bot.flows.compiled import CompiledModule
from bot.flows.units import is_done, next_unit

WORDS_PER_MINUTE = 200
"""A reading pace for short course cards on a phone."""
MINUTES_PER_QUESTION = 2
"""Reading a question, its options and the feedback."""
MINUTES_PER_EXCHANGE = 3
"""Writing a message to the lab advisor and reading its reply."""


@dataclass(frozen=True)
class Stopped:
    unit: str
    """The unit's title and kind: `Lesson 3 · Quiz`, `Lesson 1 · ML Engineer`, `Module test`."""
    place: str
    """The position within it (`question 2 of 3`), or "" when the learner has not begun it."""
    minutes: int
    """About how long the rest of the unit takes, at least 1."""
    begun: bool
    """Whether the learner is in this unit (else it is the one they would open next)."""

    def __str__(self) -> str:
        return f"{self.unit}, {self.place}" if self.place else self.unit


def unit_name(module: Module, unit: Unit) -> str:
    lesson = module.lesson(unit.lesson_id) if unit.lesson_id else None
    if unit.kind is UnitKind.TEST or lesson is None:
        return "Module test"
    if unit.kind is UnitKind.LESSON:
        return f"Lesson {lesson.number} · {lesson.title}"
    return f"Lesson {lesson.number} · {'Quiz' if unit.kind is UnitKind.QUIZ else 'Lab'}"


def _block_words(block: Block) -> int:
    if isinstance(block, Paragraph):
        return len(block.text.split())
    if isinstance(block, Bullets):
        return sum(len(item.split()) for item in block.items)
    if isinstance(block, KeyTermList):
        return sum(len(term.split()) + len(definition.split()) for term, definition in block.terms)
    return 0


def _card_words(card: Message) -> int:
    return len((card.heading or "").split()) + sum(_block_words(block) for block in card.blocks)


def _reading(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def stopped_at(state: LearnerState | None, course: CompiledModule, now: float) -> Stopped | None:
    """Where the learner is, or the unit they would open next; None when nothing is left."""
    module = course.module
    step = state.step if state is not None else None
    if isinstance(step, LessonStep) and step.card < len(course.lesson_cards.get(step.lesson_id, ())):
        cards = course.lesson_cards[step.lesson_id]
        unit = module.unit(step.lesson_id)
        left = sum(_card_words(card) for card in cards[step.card :])
        if unit is not None:
            return Stopped(
                unit_name(module, unit), f"card {step.card + 1} of {len(cards)}", _reading(left), True
            )
    if isinstance(step, QuizStep) and not step.summary:
        quiz = module.unit(step.quiz_id)
        found = module.quiz(step.quiz_id)
        if quiz is not None and found is not None and len(step.answers) < len(found[1].questions):
            total = len(found[1].questions)
            left = total - len(step.answers)
            place = f"question {len(step.answers) + 1} of {total}"
            return Stopped(unit_name(module, quiz), place, left * MINUTES_PER_QUESTION, True)
    if isinstance(step, LabStep) and state is not None:
        lab = module.unit(step.lab_id)
        found_lab = module.lab(step.lab_id)
        done = state.progress.labs.get(step.lab_id)
        exchanges = done.exchanges if done else 0
        if lab is not None and found_lab is not None and not (done and done.done):
            required = found_lab[1].exchanges_required
            place = f"exchange {min(exchanges + 1, required)} of {required}"
            left = max(1, required - exchanges)
            return Stopped(unit_name(module, lab), place, left * MINUTES_PER_EXCHANGE, True)
    if isinstance(step, TestStep) and not step.practicing and state is not None:
        total = len(module.test.questions)
        test = module.unit(module.test.id)
        if test is not None and len(step.answers) < total and not state.progress.passed:
            left = total - len(step.answers)
            place = f"question {len(step.answers) + 1} of {total}"
            return Stopped(unit_name(module, test), place, left * MINUTES_PER_QUESTION, True)
    return _next_up(state, course, now)


def _next_up(state: LearnerState | None, course: CompiledModule, now: float) -> Stopped | None:
    module = course.module
    if state is None or not state.started:
        upcoming = module.unit(module.lessons[0].id)
    else:
        upcoming = next_unit(state, module, "", now)
        if upcoming is not None and is_done(state, upcoming):
            upcoming = None
    if upcoming is None:
        return None
    return Stopped(unit_name(module, upcoming), "", _whole_unit_minutes(course, upcoming), False)


def _whole_unit_minutes(course: CompiledModule, unit: Unit) -> int:
    module = course.module
    if unit.kind is UnitKind.LESSON:
        return _reading(sum(_card_words(card) for card in course.lesson_cards.get(unit.id, ())))
    if unit.kind is UnitKind.QUIZ:
        quiz = module.quiz(unit.id)
        return (len(quiz[1].questions) if quiz else 1) * MINUTES_PER_QUESTION
    if unit.kind is UnitKind.LAB:
        lab = module.lab(unit.id)
        return (lab[1].exchanges_required if lab else 1) * MINUTES_PER_EXCHANGE
    return len(module.test.questions) * MINUTES_PER_QUESTION
