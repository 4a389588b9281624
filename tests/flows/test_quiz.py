"""The quiz flow, driven directly: one question at a time, instant feedback, a score at the end."""

from __future__ import annotations

from bot.course.models import Module, Quiz
from bot.domain.state import QuizResult, QuizStep
from bot.flows.questions import options_in_order
from tests.flows.pure import PureLearner


def at_quiz(module: Module) -> tuple[PureLearner, Quiz]:
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()
    quiz = module.lessons[0].quiz
    learner.press("open", quiz.id)
    return learner, quiz


def step(learner: PureLearner) -> QuizStep:
    assert learner.state is not None and isinstance(learner.state.step, QuizStep)
    return learner.state.step


def test_a_question_shows_every_option_of_that_question_as_a_choice(module: Module) -> None:
    learner, quiz = at_quiz(module)
    card = learner.shown[-1]
    question = quiz.questions[0]
    assert card.heading == f"{quiz.title} · 1/{len(quiz.questions)}"
    assert f"**{question.stem}**" in learner.text()
    assert sorted((b.arg, b.label) for b in card.choices) == sorted((o.id, o.text) for o in question.options)
    assert all(b.action == "answer" for b in card.choices)
    # In this learner's order for this attempt, each button carrying the step's token.
    in_order = options_in_order(question, learner.ctx(), 1)
    assert [(b.arg, b.label) for b in card.choices] == [(o.id, o.text) for o in in_order]
    assert learner.state is not None and {b.token for b in card.choices} == {str(learner.state.token)}


def test_an_answer_is_judged_at_once_and_the_next_question_follows(module: Module) -> None:
    learner, quiz = at_quiz(module)
    first, second = quiz.questions[0], quiz.questions[1]
    wrong = next(o for o in first.options if not o.correct)
    learner.press("answer", wrong.id)
    assert learner.text().startswith("❌ Not quite.") or "❌ Not quite." in learner.text()
    assert f"The correct answer: **{first.correct_option.text}**" in learner.text()
    assert f"**{second.stem}**" in learner.text()
    assert (step(learner).answers, step(learner).score) == ([wrong.id], 0)
    assert learner.last is not None
    assert [dict(e) for e in learner.last.log] == [
        {
            "kind": "answer",
            "quiz": quiz.id,
            "question": first.id,
            "option": wrong.id,
            "correct": False,
            "attempt": 1,
        }
    ]


def test_the_last_answer_shows_the_score_and_records_the_first_attempt(module: Module) -> None:
    learner, quiz = at_quiz(module)
    for number in range(len(quiz.questions)):
        learner.answer(learner.shown_question(quiz.questions), right=number != 1)
    total = len(quiz.questions)
    assert f"You scored **{total - 1}/{total}**." in learner.text()
    assert learner.state is not None
    assert learner.state.progress.quizzes[quiz.id] == QuizResult(first=total - 1, best=total - 1, total=total)
    assert learner.button("open", module.lessons[0].lab.id).label == "Continue: Lab 1"


def test_a_retake_is_practice_the_first_score_stays_and_the_best_rises(module: Module) -> None:
    learner, quiz = at_quiz(module)
    for _ in quiz.questions:
        learner.answer(learner.shown_question(quiz.questions), right=False)
    learner.press("retake")
    assert step(learner).attempt == 2 and step(learner).answers == []
    for _ in quiz.questions:
        learner.answer(learner.shown_question(quiz.questions), right=True)
    total = len(quiz.questions)
    assert learner.state is not None
    assert learner.state.progress.quizzes[quiz.id] == QuizResult(first=0, best=total, total=total, attempts=2)
    assert f"Your first score, 0/{total}, is the one reported." in learner.text()


def test_an_option_of_no_question_and_a_retake_mid_quiz_change_nothing(module: Module) -> None:
    learner, quiz = at_quiz(module)
    assert "not one of this question's answers" in learner.refused(learner.forged("answer", "zz"))
    other = quiz.questions[1].correct_option.id
    if quiz.questions[0].option(other) is None:
        assert "not one of this question's answers" in learner.refused(learner.forged("answer", other))
    assert "does nothing here" in learner.refused(learner.forged("retake"))
    assert "does nothing here" in learner.refused(learner.forged("back"))


def test_a_second_click_on_an_answered_question_is_stale(module: Module) -> None:
    learner, quiz = at_quiz(module)
    first = learner.button("answer", quiz.questions[0].correct_option.id)
    learner.press("answer", via=first)
    assert "earlier step" in learner.refused(
        learner.forged("answer", "a").model_copy(update={"token": first.token})
    )
    assert step(learner).answers == [quiz.questions[0].correct_option.id]
