"""The module-test rules one learner is under: their cohort's terms when they have a cohort
(copied onto their record, so reading them costs nothing), the module's defaults otherwise."""

from __future__ import annotations

from bot.course.models import ModuleTest
from bot.domain.release import opens_at
from bot.domain.state import LearnerState


def attempt_limit(state: LearnerState, test: ModuleTest) -> int:
    """Attempts allowed before a facilitator's grants."""
    return state.terms.test_attempts if state.terms else test.max_attempts


def attempts_allowed(state: LearnerState, test: ModuleTest) -> int:
    """Attempts allowed in all: the limit plus what a facilitator granted."""
    return state.progress.attempts_allowed(attempt_limit(state, test))


def cooldown_minutes(state: LearnerState, test: ModuleTest) -> int:
    return state.terms.cooldown_minutes if state.terms else test.cooldown_minutes


def test_open_early(state: LearnerState) -> bool:
    """Whether the cohort opens the module test before every quiz and lab is done."""
    return bool(state.terms and state.terms.test_open_early)


def lesson_opens_at(state: LearnerState, lesson_number: int, now: float) -> float | None:
    """When the cohort releases this lesson, while it is still held back for this learner."""
    release = state.terms.release if state.terms else None
    return opens_at(release, lesson_number, now, state.progress.opened_through)


def release_zone(state: LearnerState) -> str:
    """The zone the cohort's release dates are said in."""
    release = state.terms.release if state.terms else None
    return release.zone if release else "UTC"
