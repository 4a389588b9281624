"""A learner record that has passed the module test, for certificate tests on every platform."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.course.models import Module
from bot.domain.state import LearnerState, Progress, TestAttempt

SECRET = "a long random secret for the tests"
PASSED_AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC).timestamp()
"""The first pass; a certificate carries its date (30 November 2026)."""


def passed_state(module: Module) -> LearnerState:
    """Failed once, passed, then sat a practice attempt five days later."""
    progress = (
        Progress()
        .with_test_begun()
        .with_test_finished(TestAttempt(score=9, total=15, passed=False, finished_at=PASSED_AT - 86400))
        .with_test_begun()
        .with_test_finished(TestAttempt(score=13, total=15, passed=True, finished_at=PASSED_AT))
        .with_test_begun()
        .with_test_finished(TestAttempt(score=15, total=15, passed=True, finished_at=PASSED_AT + 5 * 86400))
    )
    return LearnerState(module_id=module.id, progress=progress)
