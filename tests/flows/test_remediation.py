"""After a failed module test: a review that hides the key, and a practice round before the retake."""

from __future__ import annotations

from bot.course.models import Module, Question
from bot.flows import practice
from bot.flows.module_test import PRACTICE_FIRST
from tests.flows.pure import PureLearner
from tests.flows.test_screens import finish_everything_but_the_test, sit


def quiz_questions(module: Module) -> tuple[Question, ...]:
    return tuple(q for lesson in module.lessons for q in lesson.quiz.questions)


def ready(module: Module) -> PureLearner:
    learner = PureLearner(module)
    learner.command("start")
    finish_everything_but_the_test(learner)
    learner.open(module.test.id)
    return learner


def review(learner: PureLearner) -> str:
    pages = []
    while any(
        b.action == "next" and b.label != "Back to the result" for m in learner.shown for b in m.buttons
    ):
        learner.press("next")
        pages.append(learner.text())
        if "Back to the result" in learner.text():
            break
    learner.press("next")  # back to the result
    return "\n".join(pages)


def practise(learner: PureLearner, right: bool = True) -> list[Question]:
    learner.press("practice")
    asked = []
    while any(b.action == "answer" for m in learner.shown for b in m.buttons):
        question = learner.shown_question(quiz_questions(learner.module))
        asked.append(question)
        learner.answer(question, right)
    return asked


def test_a_failed_attempt_shows_score_wrong_questions_and_sections_but_not_the_answers(
    module: Module,
) -> None:
    learner = ready(module)
    sit(learner, right=9)
    result = learner.text()
    assert "9/15" in result and "To revisit: Lesson" in result
    text = review(learner)
    listed = [q for q in module.test.questions if q.stem in text]
    assert len(listed) == 15  # every question is listed ...
    assert text.count("❌") == 6 and text.count("✅") == 9  # ... with whether it was right
    assert "Revisit: Lesson" in text
    for question in module.test.questions:
        assert question.correct_option.text not in text  # ... but not the key
        assert question.feedback.incorrect[20:80] not in text


def test_the_answers_are_shown_once_passed(module: Module) -> None:
    learner = ready(module)
    sit(learner, right=9)
    practise(learner)
    sit(learner, right=13)
    text = review(learner)
    assert "You answered" in text and "The correct answer: **" in text
    assert all(q.correct_option.text in text for q in module.test.questions)


def test_the_answers_are_shown_once_every_attempt_is_used(module: Module) -> None:
    learner = ready(module)
    for attempt in range(module.test.max_attempts):
        if attempt:
            practise(learner, right=False)
        sit(learner, right=2)
    assert "used all 3 attempts" in learner.text()
    assert "Practice what you missed" not in learner.text()
    text = review(learner)
    assert "You answered" in text and all(q.correct_option.text in text for q in module.test.questions)


def test_the_practice_round_gates_the_retake(module: Module) -> None:
    learner = ready(module)
    sit(learner, right=9)
    assert "Practice what you missed" in learner.text() and "Retake the test" not in learner.text()
    assert PRACTICE_FIRST in learner.text()
    learner.press("practice")
    learner.command("menu")
    learner.open(module.test.id)  # leaving and coming back: the retake is still closed
    assert "Begin the test" not in learner.text() and "Practice what you missed" in learner.text()
    missed = list(learner.state.progress.practice_for)  # type: ignore[union-attr]
    assert len(missed) == 6

    asked = practise(learner, right=False)
    expected = practice.questions(module, missed, learner.actor, 1)
    assert sorted(q.id for q in asked) == sorted(q.id for q in expected)
    # Each is a lesson quiz question from a lesson section the attempt missed.
    sections = {(q.lesson, q.section) for q in module.test.questions if q.id in missed}
    lessons = {lesson for lesson, _ in sections}
    for question in asked:
        lesson = next(lesson for lesson in module.lessons if question in lesson.quiz.questions)
        assert lesson.id in lessons
    assert "Practice round done" in learner.text()
    assert learner.state.progress.practice_for == []  # type: ignore[union-attr]
    learner.press("begin")
    assert "1/15" in learner.shown[0].heading


def test_practice_feedback_is_immediate_and_names_the_chosen_option(module: Module) -> None:
    learner = ready(module)
    sit(learner, right=9)
    learner.press("practice")
    assert "Key terms of those sections" in learner.text()
    question = learner.shown_question(quiz_questions(module))
    wrong = next(option for option in question.options if not option.correct)
    learner.press("answer", wrong.id)
    text = learner.text()
    assert wrong.why in text and f"The correct answer: **{question.correct_option.text}**" in text


def test_the_practice_round_holds_the_lesson_quiz_questions_reshuffled(module: Module) -> None:
    learner = ready(module)
    sit(learner, right=9)
    learner.press("practice")
    question = learner.shown_question(quiz_questions(module))
    shown = [b.arg for m in learner.shown for b in m.buttons if b.action == "answer"]
    assert sorted(shown) == sorted(o.id for o in question.options)
    quiz = PureLearner(module, actor=learner.actor)
    # The same learner saw this question in the lesson quiz (attempt 1) in another order.
    from bot.flows.questions import options_in_order

    assert shown != [o.id for o in options_in_order(question, quiz.ctx(), 1)]


def test_without_practice_before_retake_the_retake_opens_at_once(module: Module) -> None:
    relaxed = module.model_copy(
        update={"test": module.test.model_copy(update={"practice_before_retake": False})}
    )
    learner = ready(relaxed)
    sit(learner, right=9)
    assert "Retake the test" in learner.text() and "Practice what you missed" not in learner.text()
    sit(learner, right=12, action="retake")
    assert "Passed" in learner.shown[0].heading


def test_after_the_practice_round_the_cooldown_still_applies(module: Module) -> None:
    cooled = module.model_copy(update={"test": module.test.model_copy(update={"cooldown_minutes": 30})})
    learner = ready(cooled)
    sit(learner, right=9)
    assert "retake the test in 30 minutes" in learner.text() and PRACTICE_FIRST in learner.text()
    practise(learner)
    assert "Begin the test" not in learner.text() and "retake the test in 30 minutes" in learner.text()
    learner.now += 31 * 60
    learner.command("resume")
    assert "Begin the test" in learner.text()


def test_a_reset_test_has_no_practice_round_pending(module: Module) -> None:
    learner = ready(module)
    sit(learner, right=9)
    progress = learner.state.progress  # type: ignore[union-attr]
    assert progress.practice_for
    reset = progress.with_units(
        lessons_done=progress.lessons_done,
        quizzes=progress.quizzes,
        labs=progress.labs,
        test_attempts=[],
        test_started=0,
    )
    assert reset.practice_for == []
