"""The module-test rules one learner is under: their cohort's terms when they have a cohort
(copied onto their record, so reading them costs nothing), the module's defaults otherwise."""

from __future__ import annotations

from bot.course.models import ModuleTest
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
