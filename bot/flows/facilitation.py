"""Facilitator actions on one learner's record: pure transitions, like the learner's own flows.

A facilitator's change never moves the learner's step token unless it has to move the step
(a reset of the unit the learner is in), so a click the learner made at the same moment
still matches its token after the engine re-applies it, and both changes land.
"""

from __future__ import annotations

from bot.course.models import Module, Unit, UnitKind
from bot.domain.facilitation import (
    ALL_UNITS,
    ApplyTerms,
    FacilitatorEvent,
    GrantAttempts,
    OpenLessons,
    ResetProgress,
    UndoReset,
    UnlockTest,
)
from bot.domain.messages import Button, Message
from bot.domain.state import LearnerState, MenuStep, Progress, ResetBackup
from bot.flows.cards import RESUME, notice
from bot.flows.context import FlowContext, Outcome
from bot.flows.registry import current_unit_id
from bot.flows.units import test_is_open, unit_title


def refusal(state: LearnerState | None, event: FacilitatorEvent, module: Module) -> str | None:
    """Why `event` cannot apply to this record (said to the facilitator), or None when it can."""
    progress = state.progress if state else Progress()
    if isinstance(event, ApplyTerms):
        return "already has these settings." if (state.terms if state else None) == event.terms else None
    if isinstance(event, UnlockTest):
        if progress.passed:
            return "has already passed the module test."
        if progress.test_unlocked:
            return "already has the module test open."
        if state and test_is_open(state, module):
            return "already has the module test open: every quiz and lab is done."
        return None
    if isinstance(event, GrantAttempts):
        return "has already passed the module test." if progress.passed else None
    if isinstance(event, OpenLessons):
        if progress.opened_through >= event.through:
            return f"already has Lesson {event.through} open."
        return None
    if isinstance(event, ResetProgress):
        if state is None or not state.started:
            return "has not started yet: there is nothing to reset."
        if event.unit != ALL_UNITS and module.unit(event.unit) is None:
            return "cannot be reset there: the module has no such unit."
        if _reset(progress, module, event.unit) == progress:
            return f"has no progress on {unit_name(module, event.unit)} to reset."
        return None
    if state is None or state.undo is None:
        return "has no reset to undo."
    return None


def apply(state: LearnerState | None, event: FacilitatorEvent, ctx: FlowContext) -> Outcome:
    why = refusal(state, event, ctx.module)
    if why is not None:
        return Outcome(state=None)
    # Awaiting their start: the learner's own first contact still welcomes them.
    current = state or LearnerState(module_id=ctx.module.id, started_at=ctx.now, awaiting_start=True)
    module = ctx.module
    if isinstance(event, ApplyTerms):
        # Said to the learner only where it matters, by the flows' own messages (the test's
        # intro says the attempts and any wait): a policy change to 300 learners is no DM storm.
        return Outcome(state=current.with_terms(event.terms))
    if isinstance(event, UnlockTest):
        new = current.with_progress(current.progress.with_test_unlocked())
        return Outcome(state=new, messages=(_tell("Your facilitator opened the module test for you."),))
    if isinstance(event, OpenLessons):
        new = current.with_progress(current.progress.with_opened_through(event.through))
        return Outcome(state=new, messages=(_opened(module, event.through),))
    if isinstance(event, GrantAttempts):
        new = current.with_progress(current.progress.with_extra_attempts(event.extra))
        more = "another attempt" if event.extra == 1 else f"{event.extra} more attempts"
        return Outcome(
            state=new, messages=(_tell(f"Your facilitator granted you {more} at the module test."),)
        )
    if isinstance(event, ResetProgress):
        backup = ResetBackup(
            reset_id=event.reset_id, unit=event.unit, by=event.by, at=ctx.now, progress=current.progress
        )
        new = current.with_progress(_reset(current.progress, module, event.unit)).with_undo(backup)
        if event.unit == ALL_UNITS or current_unit_id(current, module) == event.unit:
            new = new.advanced(MenuStep())  # the step they were on is gone: its buttons go stale
        what = "your progress in the course" if event.unit == ALL_UNITS else unit_name(module, event.unit)
        return Outcome(state=new, messages=(_tell(f"Your facilitator reset {what} for you."),))
    assert isinstance(event, UndoReset) and current.undo is not None
    restored = _restore(current.progress, current.undo, module)
    new = current.with_progress(restored).with_undo(None)
    what = "your progress" if current.undo.unit == ALL_UNITS else unit_name(module, current.undo.unit)
    return Outcome(
        state=new, messages=(_tell(f"Your facilitator restored {what} as it was before the reset."),)
    )


def unit_name(module: Module, unit_id: str) -> str:
    if unit_id == ALL_UNITS:
        return "the whole course"
    unit = module.unit(unit_id)
    return unit_title(module, unit) if unit else unit_id


def _tell(line: str) -> Message:
    return notice(line, RESUME)


def _opened(module: Module, through: int) -> Message:
    lesson = next(each for each in module.lessons if each.number == through)
    return notice(
        f"Your facilitator opened Lesson {through} for you ahead of the cohort's schedule.",
        Button(label=f"Open Lesson {through}", action="go", arg=lesson.id, style="primary"),
    )


def _units(module: Module, unit_id: str) -> list[Unit]:
    if unit_id == ALL_UNITS:
        return list(module.units)
    unit = module.unit(unit_id)
    return [unit] if unit else []


def _reset(progress: Progress, module: Module, unit_id: str) -> Progress:
    """Progress without what the learner did in these units (a facilitator's grants stay)."""
    lessons, quizzes, labs = list(progress.lessons_done), dict(progress.quizzes), dict(progress.labs)
    attempts, started = list(progress.test_attempts), progress.test_started
    for unit in _units(module, unit_id):
        if unit.kind is UnitKind.LESSON and unit.id in lessons:
            lessons.remove(unit.id)
        elif unit.kind is UnitKind.QUIZ:
            quizzes.pop(unit.id, None)
            progress = progress.with_quiz_resumed(unit.id)  # a half-done attempt goes too
        elif unit.kind is UnitKind.LAB:
            labs.pop(unit.id, None)
        elif unit.kind is UnitKind.TEST:
            attempts, started = [], 0
    return progress.with_units(
        lessons_done=lessons, quizzes=quizzes, labs=labs, test_attempts=attempts, test_started=started
    )


def _restore(progress: Progress, backup: ResetBackup, module: Module) -> Progress:
    """Put back what the reset took, keeping what the learner did since (the old first
    attempts win, since they are what the course counts)."""
    old = backup.progress
    lessons, quizzes, labs = list(progress.lessons_done), dict(progress.quizzes), dict(progress.labs)
    attempts, started = list(progress.test_attempts), progress.test_started
    for unit in _units(module, backup.unit):
        if unit.kind is UnitKind.LESSON and unit.id in old.lessons_done and unit.id not in lessons:
            lessons.append(unit.id)
        elif unit.kind is UnitKind.QUIZ and unit.id in old.quizzes:
            quizzes[unit.id] = old.quizzes[unit.id]
        elif (
            unit.kind is UnitKind.LAB
            and unit.id in old.labs
            and (old.lab_done(unit.id) or unit.id not in labs)
        ):
            labs[unit.id] = old.labs[unit.id]
        elif unit.kind is UnitKind.TEST:
            attempts, started = [*old.test_attempts, *attempts], old.test_started + started
    return progress.with_units(
        lessons_done=lessons, quizzes=quizzes, labs=labs, test_attempts=attempts, test_started=started
    )
