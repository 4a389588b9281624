"""Immutable pydantic models of a course module.

Every unit and question carries an explicit, stable `id` written in the course files: learner
state in Redis refers to these ids, so they must not change when text is edited.
"""

from __future__ import annotations

import math
from enum import Enum
from fractions import Fraction
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")]
"""Stable identifier: lowercase letters, digits and dashes, at most 48 characters."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_computed_fields(cls, data: Any) -> Any:
        """Ignore computed fields (`body`, `pass_mark`) in input, so a JSON export reads back.

        They are derived from other fields, so an input value adds nothing; `extra="forbid"`
        would otherwise reject them.
        """
        if isinstance(data, dict) and cls.model_computed_fields:
            data = {key: value for key, value in data.items() if key not in cls.model_computed_fields}
        return data


class Option(Frozen):
    id: Id
    text: Text
    correct: bool = False
    why: str = ""
    """For a distractor: one line on what is wrong with it, shown when a learner picks it.
    Every distractor needs one (the course checks say so); the correct option has none."""


class Feedback(Frozen):
    correct: Text
    incorrect: Text


class Question(Frozen):
    id: Id
    stem: Text
    options: tuple[Option, ...]
    feedback: Feedback
    lesson: Id | None = None
    """The lesson a module test question draws on (a quiz question's is its own lesson)."""
    section: str | None = None
    """The heading of the lesson section it draws on; the lesson title for the untitled opening."""

    @model_validator(mode="after")
    def _one_correct_option(self) -> Question:
        correct = sum(option.correct for option in self.options)
        if correct != 1:
            raise ValueError(f"question {self.id!r} needs exactly one correct option, has {correct}")
        ids = [option.id for option in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question {self.id!r} has duplicate option ids")
        return self

    @property
    def correct_option(self) -> Option:
        return next(option for option in self.options if option.correct)

    @cached_property
    def _options_by_id(self) -> dict[str, Option]:
        return {option.id: option for option in self.options}

    def option(self, option_id: str) -> Option | None:
        return self._options_by_id.get(option_id)

    @property
    def distractors(self) -> tuple[Option, ...]:
        return tuple(option for option in self.options if not option.correct)


class ListItem(Frozen):
    """One entry of a list section: a bare label ("PyTorch / TensorFlow") or a label with text."""

    label: Text
    text: str = ""


class Section(Frozen):
    """A headed part of a lesson body, in source order.

    `kind` tells renderers how to present it: `story` is the untitled opening narrative, `case`
    a "Real Case" box, `list` a skills/toolkit list (see `items`), `text` anything else.
    """

    heading: str | None = None
    kind: Literal["story", "text", "case", "list"] = "text"
    paragraphs: tuple[Text, ...] = ()
    items: tuple[ListItem, ...] = ()

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects decorators over @property; pydantic documents this
    @property
    def body(self) -> str:
        parts = list(self.paragraphs)
        parts += [f"{item.label}: {item.text}" if item.text else item.label for item in self.items]
        return "\n\n".join(parts) if self.paragraphs else "\n".join(parts)


def section_name(section: Section, lesson_title: str) -> str:
    """How a section is named to learners and in course files: its heading, or the lesson title."""
    return section.heading.strip() if section.heading and section.heading.strip() else lesson_title


class KeyTerm(Frozen):
    term: Text
    definition: Text


class Quiz(Frozen):
    id: Id
    title: Text
    instructions: str = ""
    questions: tuple[Question, ...]


class DesignPiece(Frozen):
    """One piece a design lab's learner may propose, and the words that name it in a message."""

    name: Text
    words: tuple[Text, ...]


class DesignBrief(Frozen):
    """A lab whose task asks for a design of `asks_for` pieces: its recap lists the learner's
    pieces, or asks for the ones still missing."""

    asks_for: int = Field(default=3, ge=1)
    pieces: tuple[DesignPiece, ...]


class Lab(Frozen):
    id: Id
    title: Text
    mode_line: str = ""
    task: Text
    openers: tuple[Text, ...]
    advisor: Text
    greeting: Text
    exchanges_required: int = Field(default=3, ge=1)
    design: DesignBrief | None = None


class Lesson(Frozen):
    id: Id
    number: int = Field(ge=1)
    label: str = ""
    title: Text
    subtitle: Text
    hook: Text
    sections: tuple[Section, ...]
    key_terms: tuple[KeyTerm, ...]
    quiz: Quiz
    lab: Lab

    def section_names(self) -> tuple[str, ...]:
        return tuple(section_name(section, self.title) for section in self.sections)


class ModuleTest(Frozen):
    id: Id
    title: Text
    instructions: str = ""
    pass_mark: float = Field(default=0.8, gt=0, le=1)
    max_attempts: int = Field(default=3, ge=1)
    cooldown_minutes: int = Field(default=0, ge=0)
    practice_before_retake: bool = True
    """After a failed attempt, a short practice round on what was missed opens the retake."""
    questions: tuple[Question, ...]

    @property
    def pass_fraction(self) -> Fraction:
        """The pass mark exactly as the course file writes it: 0.28 is 7/25, not the binary float
        just above it (whose product with 50 questions would round up to 15)."""
        return Fraction(repr(self.pass_mark))

    @cached_property
    def pass_score(self) -> int:
        """Smallest number of correct answers that passes (12 of 15 at 80%, 14 of 50 at 28%).
        Worked out once: it parses the pass mark's text, and every finished attempt asks."""
        return math.ceil(self.pass_fraction * len(self.questions))

    def passes(self, score: int) -> bool:
        return score >= self.pass_score

    @property
    def pass_percent(self) -> str:
        """The pass mark as learners read it: "80%", "50%", "87.5%"."""
        return f"{float(self.pass_fraction * 100):g}%"


class UnitKind(str, Enum):  # noqa: UP042 -- StrEnum would change str() of members that logs and reports print
    LESSON = "lesson"
    QUIZ = "quiz"
    LAB = "lab"
    TEST = "test"


class Unit(Frozen):
    """One stop on the module's navigation strip (L1 · Quiz · Lab · … · Module Test)."""

    id: Id
    kind: UnitKind
    label: str
    lesson_id: str | None = None


class Module(Frozen):
    id: Id
    number: int = Field(default=1, ge=1)
    title: Text
    order: tuple[Id, ...]
    lessons: tuple[Lesson, ...]
    test: ModuleTest

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects decorators over @property; pydantic documents this
    @property
    def pass_mark(self) -> float:
        return self.test.pass_mark

    @model_validator(mode="after")
    def _order_names_every_unit_once(self) -> Module:
        known = {unit.id for unit in self._all_units()}
        ids = [unit.id for unit in self._all_units()]
        ids += [q.id for lesson in self.lessons for q in lesson.quiz.questions]
        ids += [q.id for q in self.test.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate ids: {', '.join(duplicates)}")
        unknown = [unit_id for unit_id in self.order if unit_id not in known]
        if unknown:
            raise ValueError(f"unknown unit in order: {', '.join(unknown)}")
        missing = sorted(known - set(self.order))
        if missing:
            raise ValueError(f"units missing from order: {', '.join(missing)}")
        if len(set(self.order)) != len(self.order):
            raise ValueError("a unit appears twice in order")
        return self

    def _all_units(self) -> list[Unit]:
        units: list[Unit] = []
        for lesson in self.lessons:
            units.append(
                Unit(id=lesson.id, kind=UnitKind.LESSON, label=f"L{lesson.number}", lesson_id=lesson.id)
            )
            units.append(Unit(id=lesson.quiz.id, kind=UnitKind.QUIZ, label="Quiz", lesson_id=lesson.id))
            units.append(Unit(id=lesson.lab.id, kind=UnitKind.LAB, label="Lab", lesson_id=lesson.id))
        units.append(Unit(id=self.test.id, kind=UnitKind.TEST, label="Module Test"))
        return units

    @cached_property
    def units(self) -> tuple[Unit, ...]:
        """Units in navigation order (computed once: the engine asks on every event)."""
        by_id = {unit.id: unit for unit in self._all_units()}
        return tuple(by_id[unit_id] for unit_id in self.order)

    @cached_property
    def _units_by_id(self) -> dict[str, Unit]:
        return {unit.id: unit for unit in self.units}

    def unit(self, unit_id: str) -> Unit | None:
        return self._units_by_id.get(unit_id)

    @cached_property
    def _lessons_by_id(self) -> dict[str, Lesson]:
        return {lesson.id: lesson for lesson in self.lessons}

    @cached_property
    def _quizzes_by_id(self) -> dict[str, tuple[Lesson, Quiz]]:
        return {lesson.quiz.id: (lesson, lesson.quiz) for lesson in self.lessons}

    @cached_property
    def _labs_by_id(self) -> dict[str, tuple[Lesson, Lab]]:
        return {lesson.lab.id: (lesson, lesson.lab) for lesson in self.lessons}

    # Looked up by id (computed once), like `unit`: the flows ask several times per event.

    def lesson(self, lesson_id: str) -> Lesson | None:
        return self._lessons_by_id.get(lesson_id)

    def quiz(self, quiz_id: str) -> tuple[Lesson, Quiz] | None:
        return self._quizzes_by_id.get(quiz_id)

    def lab(self, lab_id: str) -> tuple[Lesson, Lab] | None:
        return self._labs_by_id.get(lab_id)
