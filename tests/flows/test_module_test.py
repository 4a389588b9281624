"""The module test flow, driven directly: an intro, locked answers, one result at the end."""

from __future__ import annotations

from bot.course.models import Module
from bot.domain.state import LearnerState, Progress, TestStep
from tests.flows.pure import PureLearner


def at_test(module: Module, progress: Progress | None = None) -> PureLearner:
    """A learner on the test's intro, the test opened early by a facilitator."""
    learner = PureLearner(module)
    learner.command("start")
    assert learner.state is not None
    base = progress or Progress()
    learner.send_state(learner.state.with_progress(base.with_test_unlocked()))
    learner.open(module.test.id)
    return learner


def step(learner: PureLearner) -> TestStep:
    assert learner.state is not None and isinstance(learner.state.step, TestStep)
    return learner.state.step


def state(learner: PureLearner) -> LearnerState:
    assert learner.state is not None
    return learner.state


def test_the_intro_says_how_to_pass_and_how_many_attempts_are_left(module: Module) -> None:
    learner = at_test(module)
    assert learner.shown[-1].heading == module.test.title
    assert "You pass with 12/15. Attempts used: 0 of 3" in learner.text()
    assert learner.button("begin").label == "Begin the test"
    assert step(learner) == TestStep(attempt=0)


def test_beginning_counts_an_attempt_and_shows_the_first_question(module: Module) -> None:
    learner = at_test(module)
    learner.press("begin")
    assert step(learner).attempt == 1 and state(learner).progress.test_started == 1
    assert learner.shown[-1].heading == f"{module.test.title} · 1/15"
    assert learner.last is not None and [dict(e) for e in learner.last.log] == [
        {"kind": "test_begin", "attempt": 1}
    ]


def test_an_answer_is_locked_without_feedback_and_its_button_goes_stale(module: Module) -> None:
    learner = at_test(module)
    learner.press("begin")
    question = learner.shown_question(module.test.questions)
    first = learner.button("answer", question.correct_option.id)
    learner.press("answer", via=first)
    assert "🔒 Answer 1 locked." in learner.text() and "Correct" not in learner.text()
    assert learner.shown[-1].heading == f"{module.test.title} · 2/15"
    assert step(learner).answers == [question.correct_option.id]
    stale = learner.forged("answer", question.correct_option.id).model_copy(update={"token": first.token})
    assert "earlier step" in learner.refused(stale)


def test_the_last_answer_records_one_attempt_with_the_score_shown(module: Module) -> None:
    learner = at_test(module)
    learner.press("begin")
    for number in range(15):
        learner.answer(learner.shown_question(module.test.questions), right=number < 12)
    [attempt] = state(learner).progress.test_attempts
    assert (attempt.score, attempt.total, attempt.passed) == (12, 15, True)
    assert "12/15" in learner.shown[0].heading and "Passed ✅" in learner.shown[0].heading
    assert state(learner).progress.passed


def test_answering_before_beginning_and_beginning_with_no_attempt_left_change_nothing(module: Module) -> None:
    learner = at_test(module)
    assert "does nothing here" in learner.refused(learner.forged("answer", "a"))
    used_up = at_test(module, Progress(test_started=module.test.max_attempts))
    assert "You have used all 3 attempts" in used_up.text()
    assert "You have used all 3 attempts" in used_up.refused(used_up.forged("begin"))


def test_an_option_that_is_not_the_questions_changes_nothing(module: Module) -> None:
    learner = at_test(module)
    learner.press("begin")
    assert "not one of this question's answers" in learner.refused(learner.forged("answer", "zz"))
    assert step(learner).answers == []
