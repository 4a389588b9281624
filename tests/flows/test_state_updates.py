"""State updates are typed: a misspelt field is an error, and an update never changes its input."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.codec import encode
from bot.domain.state import LabStep, LearnerState, PendingTurn, Progress, QuizResult, QuizStep, TestAttempt


def test_a_misspelt_progress_update_raises_instead_of_doing_nothing() -> None:
    state = LearnerState(module_id="m")
    update: Any = state.with_progress  # what mypy would reject, tried at run time
    with pytest.raises(TypeError):
        update(lesons_done=["lesson-1"])
    with pytest.raises(TypeError):
        update(lessons_done=["lesson-1"])  # even spelt right: progress is replaced whole, never by keywords


def test_progress_updates_build_new_progress_and_leave_the_old_one_alone() -> None:
    before = Progress()
    after = (
        before.with_lesson_done("lesson-1")
        .with_lesson_done("lesson-1")
        .with_quiz("quiz-1", QuizResult(first=2, best=2, total=3))
        .with_test_begun()
        .with_test_finished(TestAttempt(score=12, total=15, passed=True, finished_at=1.0))
        .with_test_unlocked()
    )
    assert before == Progress()
    assert after.lessons_done == ["lesson-1"]
    assert after.quizzes["quiz-1"].first == 2
    assert (after.test_started, after.passed, after.test_unlocked) == (1, True, True)


def test_a_retaken_quiz_keeps_its_first_score_and_its_best() -> None:
    first = QuizResult(first=1, best=1, total=3)
    assert first.retaken(3, 2) == QuizResult(first=1, best=3, total=3, attempts=2)
    assert first.retaken(3, 2).retaken(0, 3) == QuizResult(first=1, best=3, total=3, attempts=3)


def test_a_failed_lab_turn_keeps_the_text_for_a_retry_and_forgets_it_as_recent() -> None:
    pending = PendingTurn(turn=1, text="What do you do all day?", counted=True, owner="a", asked_at=5.0)
    step = LabStep(lab_id="lab-1").asking(pending, recent=["What do you do all day?"])
    failed = step.failed()
    assert (failed.pending, failed.retry_text, failed.recent, failed.turns) == (
        None,
        "What do you do all day?",
        [],
        0,
    )
    replied = step.replied()
    assert (replied.pending, replied.turns, replied.recent) == (None, 1, ["What do you do all day?"])
    claimed = pending.claimed("b", 9.0, lease_until=24.0)
    assert step.claimed(claimed).pending == claimed and claimed.lease_until == 24.0
    assert claimed.renewed(39.0).lease_until == 39.0 and claimed.lease_until == 24.0
    assert step.pending == pending  # nothing changed in place


def test_moving_on_with_new_progress_is_one_copy_that_leaves_the_old_state_alone() -> None:
    before = LearnerState(module_id="m", token=4)
    step = QuizStep(quiz_id="quiz-1", answers=["a"])
    progress = before.progress.with_lesson_done("lesson-1")
    after = before.advanced(step, progress)
    assert (after.token, after.step, after.progress) == (5, step, progress)
    assert encode(after) == encode(before.advanced(step).with_progress(progress))
    assert after.model_fields_set == before.advanced(step).with_progress(progress).model_fields_set
    assert before.with_step(step, progress) == after.model_copy(update={"token": 4})
    assert (before.token, before.step, before.progress) == (4, LearnerState(module_id="m").step, Progress())
