"""The per-learner state record: small, versioned, and the only thing a commit rewrites.

Histories do not live here: lab transcripts and the event log have their own capped keys, so
the record (and the cost of an event) does not grow with time in the course. Option and
question orders are not stored either: they are derived from a seed (see `shuffle.py`).
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, Field

from bot.domain.messages import DraftPlace
from bot.domain.release import ReleaseTerms

SCHEMA_VERSION = 2

M = TypeVar("M", bound=BaseModel)


_new = object.__new__
# The slots every pydantic model has, set through their own descriptors: what
# `object.__setattr__` does with them, in two thirds of its time.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _replaced(model: M, **changes: object) -> M:
    """`model` with these fields replaced, sharing the rest. Only the typed methods below call
    this; a name that is not a field is an error here, where `model_copy` would add it silently.

    What `model_copy(update=...)` does for these models (no extra fields, no private attributes),
    in a quarter of its time: a transition makes several of these per event."""
    cls = type(model)
    fields = cls.__pydantic_fields__
    if not changes.keys() <= fields.keys():
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(changes.keys() - fields.keys()))}")
    if model.__pydantic_extra__ is not None or model.__pydantic_private__ is not None:
        return model.model_copy(update=changes)
    return _built(model, changes)


def _built(model: M, changes: dict[str, object]) -> M:
    """`_replaced` without its checks, for the state's own hottest transitions, whose field
    names are written out below (and whose model has no extra fields or private attributes)."""
    new = _new(type(model))
    _set_dict(new, {**model.__dict__, **changes})
    _set_fields(new, model.__pydantic_fields_set__ | changes.keys())
    _set_extra(new, None)
    _set_private(new, None)
    return new


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
    summary: bool = False
    """A finished quiz opened again: its score is shown before any retake begins."""


class PendingTurn(BaseModel):
    """A learner message committed but not yet answered by the advisor."""

    turn: int
    text: str
    counted: bool
    """Whether it counts as far as the flow can tell (substance, opener rule); the advisor may
    still find it off the lab's subject, and then it does not."""
    owner: str
    """Engine instance that is asking the advisor."""
    asked_at: float
    opener: bool = False
    """A suggested opener (pressed, or typed word for word): one counts at most once per lab."""
    lease_until: float = 0.0
    """The owner renews this while the reply streams; once it has passed, the owner is taken
    to be gone and any instance may take the turn over."""
    draft: DraftPlace | None = None
    """The message the reply is being streamed into, once posted: the final reply replaces it,
    whichever process gives it."""

    def claimed(self, owner: str, at: float, lease_until: float) -> PendingTurn:
        """The same turn, now asked by engine instance `owner` at time `at`."""
        return _replaced(self, owner=owner, asked_at=at, lease_until=lease_until)

    def renewed(self, lease_until: float, draft: DraftPlace | None = None) -> PendingTurn:
        """Its owner is still answering it (and, when given, streams it into `draft`)."""
        return _replaced(self, lease_until=lease_until, draft=draft or self.draft)


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
    raised: list[str] = Field(default_factory=list)
    """Topics the learner raised in their own words (key terms, sections), capped: for the recap."""
    pieces: list[str] = Field(default_factory=list)
    """For a design lab: names of the pieces the learner proposed in their own words."""
    queued: list[str] = Field(default_factory=list)
    """Messages typed while a turn was pending, oldest first: each is asked in its turn."""

    def queuing(self, text: str) -> LabStep:
        """A message typed while the advisor is answering waits for its turn."""
        return _replaced(self, queued=[*self.queued, text])

    def dequeued(self) -> LabStep:
        """The oldest waiting message leaves the queue (to be asked now)."""
        return _replaced(self, queued=self.queued[1:])

    def asking(
        self,
        pending: PendingTurn,
        recent: list[str],
        raised: list[str] | None = None,
        pieces: list[str] | None = None,
    ) -> LabStep:
        """The learner's message is the pending turn; an earlier failed message is dropped.
        `raised` and `pieces`, when given, replace what the learner raised so far."""
        return _replaced(
            self,
            pending=pending,
            retry_text=None,
            recent=recent,
            raised=self.raised if raised is None else raised,
            pieces=self.pieces if pieces is None else pieces,
        )

    def claimed(self, pending: PendingTurn) -> LabStep:
        return _replaced(self, pending=pending)

    def replied(self) -> LabStep:
        """The advisor answered the pending turn."""
        return _replaced(self, pending=None, turns=self.turns + 1)

    def failed(self) -> LabStep:
        """The advisor gave up on the pending turn: its text waits for a retry, and since it may
        be sent again and still count, it leaves the recent messages."""
        return _replaced(
            self,
            retry_text=self.pending.text if self.pending else None,
            pending=None,
            recent=self.recent[:-1],
        )


class TestStep(BaseModel):
    __test__ = False  # not a pytest test class, despite the name

    at: Literal["test"] = "test"
    attempt: int
    answers: list[str] = Field(default_factory=list)
    page: int = 0
    """For a finished attempt: 0 shows the result, k ≥ 1 page k of the review of every answer."""
    practicing: bool = False
    """In the practice round on what the last attempt missed (`attempt` is then 0)."""
    practice: list[str] = Field(default_factory=list)
    """Option ids chosen so far in the practice round, in question order."""

    def with_practice(self, answers: list[str]) -> TestStep:
        """The practice round with these answers given so far."""
        return _replaced(self, practice=answers)

    def on_page(self, page: int) -> TestStep:
        """The finished attempt showing its result (0) or review page `page`."""
        return _replaced(self, page=page)


Step = Annotated[MenuStep | LessonStep | QuizStep | LabStep | TestStep, Field(discriminator="at")]


class QuizResult(BaseModel):
    first: int
    """Score of the first completed attempt: what reports count."""
    best: int
    total: int
    attempts: int = 1

    def retaken(self, score: int, attempt: int) -> QuizResult:
        """After a practice attempt: the first score stays, the best may rise."""
        return _replaced(self, best=max(self.best, score), attempts=max(self.attempts, attempt))


class LabResult(BaseModel):
    exchanges: int = 0
    done: bool = False
    opener_counted: bool = False
    """An opener press has counted already: further ones start conversations but do not count."""
    replies: int = 0
    """Advisor replies in this lab over every visit (an advisor introduces itself only in the first)."""


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
    quiz_unfinished: dict[str, list[str]] = Field(default_factory=dict)
    """Answers of a quiz attempt left before its last question, by quiz id. Opening the quiz
    again carries on from there: an attempt, the first above all, is never begun afresh."""
    test_unlocked: bool = False
    """Set by a facilitator to open the module test before every quiz and lab is done."""
    extra_attempts: int = 0
    """Module-test attempts a facilitator granted on top of the course's limit."""
    practice_for: list[str] = Field(default_factory=list)
    """Ids of the test questions the last failed attempt missed, until their practice round is done."""
    opened_through: int = 0
    """Lessons up to this number a facilitator opened for this learner before their cohort's
    release date."""

    def attempts_allowed(self, course_limit: int) -> int:
        return course_limit + self.extra_attempts

    def lab_done(self, lab_id: str) -> bool:
        result = self.labs.get(lab_id)
        return bool(result and result.done)

    @property
    def best_test(self) -> TestAttempt | None:
        return max(self.test_attempts, key=lambda a: (a.score, -a.finished_at), default=None)

    @property
    def passed(self) -> bool:
        return any(attempt.passed for attempt in self.test_attempts)

    @property
    def first_pass(self) -> TestAttempt | None:
        """The attempt that passed the module test first: when the learner passed it."""
        return min((a for a in self.test_attempts if a.passed), key=lambda a: a.finished_at, default=None)

    def with_lesson_done(self, lesson_id: str) -> Progress:
        if lesson_id in self.lessons_done:
            return self
        return _replaced(self, lessons_done=[*self.lessons_done, lesson_id])

    def with_quiz(self, quiz_id: str, result: QuizResult) -> Progress:
        return _replaced(self, quizzes={**self.quizzes, quiz_id: result})

    def with_lab(self, lab_id: str, result: LabResult) -> Progress:
        return _replaced(self, labs={**self.labs, lab_id: result})

    def with_quiz_unfinished(self, quiz_id: str, answers: list[str]) -> Progress:
        """The learner left this quiz mid-attempt with these answers given."""
        return _replaced(self, quiz_unfinished={**self.quiz_unfinished, quiz_id: answers})

    def with_quiz_resumed(self, quiz_id: str) -> Progress:
        """The quiz's unfinished attempt is the current step again."""
        if quiz_id not in self.quiz_unfinished:
            return self
        kept = {k: v for k, v in self.quiz_unfinished.items() if k != quiz_id}
        return _replaced(self, quiz_unfinished=kept)

    def with_test_begun(self) -> Progress:
        """One more test attempt has begun (it counts toward the limit from now on)."""
        return _replaced(self, test_started=self.test_started + 1)

    def with_test_finished(self, attempt: TestAttempt, practice_for: list[str] | None = None) -> Progress:
        """A finished attempt; `practice_for`, the missed questions a practice round must cover first."""
        return _replaced(self, test_attempts=[*self.test_attempts, attempt], practice_for=practice_for or [])

    def with_practice_done(self) -> Progress:
        return _replaced(self, practice_for=[])

    def with_test_unlocked(self) -> Progress:
        """The module test is open before every quiz and lab is done (a facilitator's choice)."""
        return _replaced(self, test_unlocked=True)

    def with_opened_through(self, lesson_number: int) -> Progress:
        """Lessons up to `lesson_number` open ahead of the cohort's schedule (a facilitator's grant)."""
        return _replaced(self, opened_through=max(self.opened_through, lesson_number))

    def with_extra_attempts(self, extra: int) -> Progress:
        """`extra` more module-test attempts than before (a facilitator's grant)."""
        return _replaced(self, extra_attempts=self.extra_attempts + extra)

    def with_units(
        self,
        *,
        lessons_done: list[str],
        quizzes: dict[str, QuizResult],
        labs: dict[str, LabResult],
        test_attempts: list[TestAttempt],
        test_started: int,
    ) -> Progress:
        """This progress with the learner's own work replaced (a facilitator's reset or its
        undo); the facilitator's grants stay."""
        return _replaced(
            self,
            lessons_done=lessons_done,
            quizzes=quizzes,
            labs=labs,
            test_attempts=test_attempts,
            test_started=test_started,
            # A test without attempts (reset) has nothing missed to practise.
            practice_for=self.practice_for if test_attempts else [],
        )


class ResetBackup(BaseModel):
    """The record as it was before a facilitator's reset: what `undo` restores."""

    reset_id: str
    unit: str
    by: str
    at: float
    progress: Progress


class CohortTerms(BaseModel):
    """What the learner's cohort says about how the course runs for them, copied onto the
    record on enrolment and at every policy change, so the flows read it without another
    round trip. None on a record means the module's own defaults."""

    cohort: str
    test_attempts: int = Field(ge=1)
    cooldown_minutes: int = Field(ge=0)
    test_open_early: bool = False
    release: ReleaseTerms | None = None
    """When the cohort's lessons open (None: every lesson is open as the course allows)."""


class LearnerState(BaseModel):
    v: int = SCHEMA_VERSION
    module_id: str
    token: int = 1
    """Step token: every button carries it; it changes whenever the step moves on, so a stale
    or duplicate click is recognised."""
    step: Step = Field(default_factory=MenuStep)
    progress: Progress = Field(default_factory=Progress)
    started_at: float = 0.0
    undo: ResetBackup | None = None
    """The last facilitator reset's backup; one at most, so the record stays small."""
    awaiting_start: bool = False
    """True for a record a facilitator made before the learner's first contact (a grant to
    someone enrolled who has not begun): that first contact still welcomes them."""
    terms: CohortTerms | None = None
    """The learner's cohort's terms; None outside any cohort (the module's defaults apply)."""

    # Transitions never change their input: they build new states with these, sharing every
    # part they do not replace. That is far cheaper than a deep copy per event, and safe
    # because no part of a state is ever changed in place.

    def advanced(self, step: Step | None = None, progress: Progress | None = None) -> LearnerState:
        """A new state with a fresh step token (and optionally a new step and a new progress):
        one copy, where `advanced` then `with_progress` would make two."""
        changes: dict[str, object] = {"token": self.token + 1}
        if step is not None:
            changes["step"] = step
        if progress is not None:
            changes["progress"] = progress
        return _built(self, changes)

    def with_step(self, step: Step, progress: Progress | None = None) -> LearnerState:
        """A new state on another version of the same step (and optionally a new progress): the
        token stays."""
        if progress is None:
            return _built(self, {"step": step})
        return _built(self, {"step": step, "progress": progress})

    def with_progress(self, progress: Progress, /) -> LearnerState:
        """A new state with this progress (built with `Progress`'s own `with_…` methods)."""
        return _built(self, {"progress": progress})

    @property
    def started(self) -> bool:
        return not self.awaiting_start

    def with_start(self, now: float) -> LearnerState:
        """The learner's own first contact with a record a facilitator made for them."""
        return _replaced(self, started_at=now, awaiting_start=False)

    def with_terms(self, terms: CohortTerms | None, /) -> LearnerState:
        """A new state under these cohort terms (None: the module's defaults)."""
        return _replaced(self, terms=terms)

    def with_undo(self, backup: ResetBackup | None, /) -> LearnerState:
        """A new state keeping (or, with None, dropping) a facilitator reset's backup."""
        return _replaced(self, undo=backup)


if LearnerState.__private_attributes__ or LearnerState.model_config.get("extra") == "allow":
    # Its transitions copy the fields alone (`_built`): private or extra values would be lost.
    raise RuntimeError("LearnerState has private attributes or extra fields, which `_built` does not copy")
