"""Where a nudge says the learner stopped, and about how long the rest of that unit takes,
read from the learner's step and the course itself."""

from __future__ import annotations

from bot.course.models import Module
from bot.flows.compiled import CompiledModule
from bot.flows.stopped import stopped_at
from bot.nudges.draft import nudge_text
from tests.flows.pure import PureLearner


def test_a_learner_in_a_quiz_is_told_the_question_and_the_minutes_left(module: Module) -> None:
    course = CompiledModule.of(module)
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()
    quiz = module.lessons[0].quiz
    learner.open(quiz.id)
    learner.answer(learner.shown_question(quiz.questions), True)
    where = stopped_at(learner.state, course, learner.now)
    assert where is not None and str(where) == "Lesson 1 · Quiz, question 2 of 3" and where.minutes == 4
    text = nudge_text(where, True, 1, False)
    assert text.startswith("You stopped at Lesson 1 · Quiz, question 2 of 3 — about 4 minutes to finish.")
    assert "Type `pause`" in text and "last reminder" not in text


def test_lessons_count_the_words_left_and_labs_the_exchanges_left(module: Module) -> None:
    course = CompiledModule.of(module)
    learner = PureLearner(module)
    learner.command("start")
    first = stopped_at(learner.state, course, learner.now)
    learner.press("next")
    learner.press("next")
    third = stopped_at(learner.state, course, learner.now)
    assert first is not None and third is not None
    assert first.unit == "Lesson 1 · The Machine Learning Engineer" and first.place.startswith("card 1 of ")
    assert third.place.startswith("card 3 of ") and third.minutes <= first.minutes
    learner.read_lesson()
    learner.open(module.lessons[0].lab.id)
    lab = stopped_at(learner.state, course, learner.now)
    assert lab is not None and str(lab) == "Lesson 1 · Lab, exchange 1 of 3" and lab.minutes == 9


def test_between_units_and_before_starting_the_next_unit_is_named(module: Module) -> None:
    course = CompiledModule.of(module)
    never = stopped_at(None, course, 0.0)
    assert never is not None and not never.begun and never.unit == "Lesson 1 · The Machine Learning Engineer"
    assert nudge_text(never, False, 1, False).startswith(
        f"You have not started yet. Lesson 1 · The Machine Learning Engineer takes about {never.minutes} minutes."
    )
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()  # on the lesson's completion card
    after = stopped_at(learner.state, course, learner.now)
    assert after is not None and not after.begun and after.unit == "Lesson 1 · Quiz" and after.minutes == 6
    assert nudge_text(after, True, 3, True).startswith("Next for you: Lesson 1 · Quiz — about 6 minutes.")
    assert "This is the last reminder." in nudge_text(after, True, 3, True)
