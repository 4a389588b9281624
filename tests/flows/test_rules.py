"""Course rules that live in one place: the pass mark, the attempt limit, the test score."""

from __future__ import annotations

from bot.course.models import Module, ModuleTest, Question
from bot.domain.events import Press
from bot.domain.state import LearnerState, Progress, TestStep
from bot.flows import module_test
from bot.flows.questions import score
from tests.flows.pure import PureLearner


def with_test(module: Module, **changes: object) -> Module:
    """The module with its test changed (validated again, like a course file would be)."""
    data = module.test.model_dump()
    data.update(changes)
    return module.model_copy(update={"test": ModuleTest.model_validate(data)})


def many_questions(module: Module, count: int) -> list[dict[str, object]]:
    """`count` valid test questions, made from the module's own with fresh ids."""
    source = module.test.questions
    return [{**source[i % len(source)].model_dump(), "id": f"extra-{i}"} for i in range(count)]


def test_help_names_the_modules_own_pass_mark(module: Module, sample: Module) -> None:
    learner = PureLearner(sample)
    learner.command("start")
    learner.command("help")
    assert "(50% to pass)" in learner.text()
    assert "80%" not in learner.text()
    learner = PureLearner(module)
    learner.command("start")
    learner.command("help")
    assert "(80% to pass)" in learner.text()


def test_pass_score_is_exact_for_pass_marks_a_float_cannot_hold(module: Module) -> None:
    # 0.28 × 50 and 0.14 × 50 are 14.000000000000002 and 7.000000000000001 in floats.
    assert with_test(module, pass_mark=0.28, questions=many_questions(module, 50)).test.pass_score == 14
    test = with_test(module, pass_mark=0.28, questions=many_questions(module, 50)).test
    assert (test.pass_score, test.passes(14), test.passes(13)) == (14, True, False)
    assert with_test(module, pass_mark=0.14, questions=many_questions(module, 50)).test.pass_score == 7
    assert with_test(module, pass_mark=0.28, questions=many_questions(module, 25)).test.pass_score == 7
    assert module.test.pass_score == 12
    assert with_test(module, pass_mark=0.81).test.pass_score == 13  # 12.15 needs 13


def test_a_learner_with_exactly_the_pass_score_passes(module: Module) -> None:
    """At 28% of 25 questions, 7 right answers pass (and the intro says so)."""
    changed = with_test(module, pass_mark=0.28, questions=many_questions(module, 25), max_attempts=5)
    learner = PureLearner(changed)
    learner.command("start")
    learner.send_state(unlocked_test(learner))
    learner.open(changed.test.id)
    assert "You pass with 7/25" in learner.text()
    learner.press("begin")
    for number in range(25):
        learner.answer(learner.shown_question(changed.test.questions), right=number < 7)
    assert "7/25" in learner.text() and "Passed ✅" in learner.text()
    assert learner.state is not None and learner.state.progress.passed


def unlocked_test(learner: PureLearner) -> LearnerState:
    assert learner.state is not None
    return learner.state.with_progress(learner.state.progress.with_test_unlocked())


def test_used_up_attempts_stay_used_up_when_the_test_was_opened_early(module: Module) -> None:
    """Opening the test early grants no attempts: the flow and the cohort report agree."""
    progress = Progress(test_unlocked=True, test_started=module.test.max_attempts)
    assert module_test.attempts_used_up(LearnerState(module_id=module.id, progress=progress), module.test)
    learner = PureLearner(module)
    learner.command("start")
    assert learner.state is not None
    learner.send_state(learner.state.with_progress(progress))
    learner.open(module.test.id)
    assert f"You have used all {module.test.max_attempts} attempts" in learner.text()
    assert not any(b.action == "begin" for m in learner.shown for b in m.buttons)
    early = LearnerState(module_id=module.id, progress=Progress(test_unlocked=True, test_started=2))
    assert not module_test.attempts_used_up(early, module.test)


def test_an_answer_the_course_no_longer_has_scores_nothing_and_breaks_nothing(module: Module) -> None:
    """A course edit renamed an option a learner had already chosen: the attempt still finishes,
    and the score recorded is the score shown."""
    learner = PureLearner(module)
    learner.command("start")
    assert learner.state is not None
    questions = module_test.question_order(learner.ctx(), 1)
    answers = ["renamed-option"] + [q.correct_option.id for q in questions[1:-1]]
    state = learner.state.advanced(TestStep(attempt=1, answers=answers))
    state = state.with_progress(state.progress.with_test_begun())
    learner.send_state(state)
    last = learner.state.token if learner.state else 0
    learner.send(
        Press(actor=learner.actor, action="answer", arg=questions[-1].correct_option.id, token=str(last))
    )
    assert learner.state is not None
    attempt = learner.state.progress.test_attempts[-1]
    assert attempt.score == 14 and attempt.passed
    assert "You scored **14/15**" in learner.text()


def test_the_score_counts_correct_answers_in_question_order(module: Module) -> None:
    questions: tuple[Question, ...] = module.test.questions[:3]
    right, wrong = questions[0].correct_option.id, next(o.id for o in questions[1].options if not o.correct)
    assert score(questions, [right, wrong, questions[2].correct_option.id]) == 2
    assert score(questions, [right]) == 1
