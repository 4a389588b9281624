"""A learner who matches wording instead of understanding cannot pass the module test.

The cue-matching learner has read every lesson (its text, key terms and lab) and the feedback
of every lesson quiz, and on each test question picks the option sharing the most word
trigrams with all of that, taking the first of a tie in the order the options are shown to
them. The test's own feedback is not in what they read: the review withholds it (and the
answers) until the test is passed or every attempt is used. Options are shuffled per learner,
so the score is averaged over many learners.

The reverse strategy (pick the option sharing the fewest) must not work either: a key written
in words the lesson never uses would give itself away just as surely.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.course.loader import load_module
from bot.course.models import Module, Question
from bot.domain.events import Actor
from bot.domain.shuffle import shuffled

from .helpers import MODULE_02

LEARNERS = 400
_WORD = re.compile(r"[a-z0-9]+")


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def what_a_learner_read(module: Module) -> set[tuple[str, ...]]:
    read: set[tuple[str, ...]] = set()
    for lesson in module.lessons:
        texts = [lesson.title, lesson.subtitle, lesson.hook, lesson.lab.task, lesson.lab.greeting]
        texts += [f"{section.heading or ''} {section.body}" for section in lesson.sections]
        texts += [f"{term.term} {term.definition}" for term in lesson.key_terms]
        texts += [q.feedback.correct + " " + q.feedback.incorrect for q in lesson.quiz.questions]
        for text in texts:
            read |= trigrams(text)
    return read


Pick = Callable[[list[int]], int]


def average_score(module: Module, choose: Pick) -> float:
    read = what_a_learner_read(module)
    total = 0
    for n in range(LEARNERS):
        actor = Actor(platform="sim", tenant="cue", user=f"learner-{n}")
        for question in module.test.questions:
            shown = shuffled(question.options, actor, question.id, 1)
            overlaps = [len(trigrams(option.text) & read) for option in shown]
            total += shown[choose(overlaps)].correct
    return total / LEARNERS


def most_shared(overlaps: list[int]) -> int:
    return overlaps.index(max(overlaps))


def fewest_shared(overlaps: list[int]) -> int:
    return overlaps.index(min(overlaps))


MODULE = load_module(MODULE_02)
HALF = len(MODULE.test.questions) / 2


def test_cue_matching_learner_scores_at_most_half() -> None:
    assert average_score(MODULE, most_shared) <= HALF


def test_picking_the_least_familiar_wording_scores_at_most_half() -> None:
    assert average_score(MODULE, fewest_shared) <= HALF


def test_the_measure_catches_keys_copied_from_the_lesson() -> None:
    # The measure itself can fail: keys that copy the lesson's wording hand the cue learner a pass.
    questions = tuple(_key_copied(MODULE, question) for question in MODULE.test.questions)
    copied = MODULE.model_copy(update={"test": MODULE.test.model_copy(update={"questions": questions})})
    assert average_score(copied, most_shared) > HALF


def _key_copied(module: Module, question: Question) -> Question:
    """The question with the lesson's own words (from the section it draws on) added to its key."""
    lesson = module.lesson(question.lesson or "")
    assert lesson is not None and question.section is not None
    section = lesson.sections[lesson.section_names().index(question.section)]
    words = " ".join(section.body.split()[:12])
    options = tuple(
        option.model_copy(update={"text": f"{option.text} ({words})"}) if option.correct else option
        for option in question.options
    )
    return question.model_copy(update={"options": options})
