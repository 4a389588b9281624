"""The per-learner state record: small, versioned, and the only thing a commit rewrites.

Histories do not live here: lab transcripts and the event log have their own capped keys, so
the record (and the cost of an event) does not grow with time in the course. Option and
question orders are not stored either: they are derived from a seed (see `shuffle.py`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = 2


class MenuStep(BaseModel):
    at: Literal["menu"] = "menu"


class LessonStep(BaseModel):
    at: Literal["lesson"] = "lesson"
    lesson_id: str
    card: int = 0


class QuizStep(BaseModel):
    at: Literal["quiz"] = "quiz"
    quiz_id: str
    attempt: int = 1
    answers: list[str] = Field(default_factory=list)
    """Option ids chosen so far, in question order; its length is the current question index."""
    score: int = 0


class PendingTurn(BaseModel):
    """A learner message committed but not yet answered by the advisor."""

    turn: int
    text: str
    counted: bool
    owner: str
    """Engine instance that is asking the advisor; another instance takes over when it is stale."""
    asked_at: float


class LabStep(BaseModel):
    at: Literal["lab"] = "lab"
    lab_id: str
    turns: int = 0
    """Advisor replies received in this visit (counted or not)."""
    pending: PendingTurn | None = None
    retry_text: str | None = None
    """The learner's last message when the advisor failed on it: the Retry button sends it again."""
    recent: list[str] = Field(default_factory=list)
    """The learner's last few messages, trimmed, so repeats do not count as exchanges."""


class TestStep(BaseModel):
    __test__ = False  # not a pytest test class, despite the name

    at: Literal["test"] = "test"
    attempt: int
    answers: list[str] = Field(default_factory=list)


Step = Annotated[MenuStep | LessonStep | QuizStep | LabStep | TestStep, Field(discriminator="at")]


class QuizResult(BaseModel):
    first: int
    """Score of the first completed attempt: what reports count."""
    best: int
    total: int
    attempts: int = 1


class LabResult(BaseModel):
    exchanges: int = 0
    done: bool = False


class TestAttempt(BaseModel):
    __test__ = False

    score: int
    total: int
    passed: bool
    finished_at: float


class Progress(BaseModel):
    lessons_done: list[str] = Field(default_factory=list)
    quizzes: dict[str, QuizResult] = Field(default_factory=dict)
    labs: dict[str, LabResult] = Field(default_factory=dict)
    test_attempts: list[TestAttempt] = Field(default_factory=list)
    test_started: int = 0
    """Attempts begun (a begun attempt counts toward the limit even if abandoned)."""
    test_unlocked: bool = False
    """Set by a facilitator to open the module test before every quiz and lab is done."""

    def lab_done(self, lab_id: str) -> bool:
        result = self.labs.get(lab_id)
        return bool(result and result.done)

    @property
    def best_test(self) -> TestAttempt | None:
        return max(self.test_attempts, key=lambda a: (a.score, -a.finished_at), default=None)

    @property
    def passed(self) -> bool:
        return any(attempt.passed for attempt in self.test_attempts)


class LearnerState(BaseModel):
    v: int = SCHEMA_VERSION
    module_id: str
    token: int = 1
    """Step token: every button carries it; it changes whenever the step moves on, so a stale
    or duplicate click is recognised."""
    step: Step = Field(default_factory=MenuStep)
    progress: Progress = Field(default_factory=Progress)
    started_at: float = 0.0

    # Transitions never change their input: they build new states with these, sharing every
    # part they do not replace. That is far cheaper than a deep copy per event, and safe
    # because no part of a state is ever changed in place.

    def advanced(self, step: BaseModel | None = None) -> LearnerState:
        """A new state with a fresh step token (and optionally a new step)."""
        changes: dict[str, object] = {"token": self.token + 1}
        if step is not None:
            changes["step"] = step
        return self.model_copy(update=changes)

    def with_step(self, step: BaseModel) -> LearnerState:
        """A new state on another version of the same step: the token stays."""
        return self.model_copy(update={"step": step})

    def with_progress(self, **changes: object) -> LearnerState:
        """A new state whose progress has these fields replaced."""
        return self.model_copy(update={"progress": self.progress.model_copy(update=changes)})
