"""The practice round after a failed module test: what the learner missed, before a retake.

Built from the missed test questions: the lesson quiz questions from the same lesson sections
(or, where a section has none, that lesson's quiz), reshuffled, and the key terms those
sections use. Answers get immediate feedback; nothing is scored or reported. With the test's
`practice_before_retake` on (the default) the retake opens only once the round is done.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.course.models import KeyTerm, Lesson, Module, Question
from bot.domain.events import Actor
from bot.domain.shuffle import shuffled

MOST_QUESTIONS = 6
OPTION_SALT = 1000
"""Added to the round's number for the option shuffle, so options come in a new order."""


def _source(module: Module, question: Question) -> tuple[Lesson, str | None] | None:
    if question.lesson is None:
        return None
    lesson = module.lesson(question.lesson)
    return None if lesson is None else (lesson, question.section)


def missed_questions(module: Module, missed_ids: list[str]) -> list[Question]:
    wanted = set(missed_ids)
    return [question for question in module.test.questions if question.id in wanted]


def questions(module: Module, missed_ids: list[str], actor: Actor, round_no: int) -> list[Question]:
    """The round's quiz questions: those of the missed sections, else of the missed lessons."""
    chosen: list[Question] = []
    for missed in missed_questions(module, missed_ids):
        source = _source(module, missed)
        if source is None:
            continue
        lesson, section = source
        same = [q for q in lesson.quiz.questions if section is not None and q.section == section]
        for question in same or list(lesson.quiz.questions):
            if question not in chosen:
                chosen.append(question)
    return shuffled(chosen, actor, module.test.id, "practice", round_no)[:MOST_QUESTIONS]


@lru_cache(maxsize=256)
def _pattern(term: str) -> re.Pattern[str]:
    words = re.findall(r"[A-Za-z0-9]+", term)
    return re.compile(r"\b" + r"\W+".join(re.escape(w) + r"\w*" for w in words), re.IGNORECASE)


def key_terms(module: Module, missed_ids: list[str]) -> list[KeyTerm]:
    """Key terms of the missed questions' lessons that their sections or the questions use."""
    found: list[KeyTerm] = []
    for missed in missed_questions(module, missed_ids):
        source = _source(module, missed)
        if source is None:
            continue
        lesson, section = source
        texts = [missed.stem, missed.feedback.correct, missed.feedback.incorrect]
        texts += [
            s.body for s in lesson.sections if section is not None and _name(s.heading, lesson) == section
        ]
        joined = "\n".join(texts)
        for term in lesson.key_terms:
            if term not in found and _pattern(term.term).search(joined):
                found.append(term)
    return found


def _name(heading: str | None, lesson: Lesson) -> str:
    return heading.strip() if heading and heading.strip() else lesson.title


def sections_to_revisit(module: Module, missed_ids: list[str]) -> list[str]:
    """ "Lesson 1 · The Production Gap" for each missed question, in test order, once each."""
    out: list[str] = []
    for missed in missed_questions(module, missed_ids):
        source = _source(module, missed)
        if source is None:
            continue
        lesson, section = source
        name = f"Lesson {lesson.number} · {section or lesson.title}"
        if name not in out:
            out.append(name)
    return out
