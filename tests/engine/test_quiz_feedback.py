"""Quiz feedback speaks about the option the learner chose, names the right one, and says the verdict once."""

from __future__ import annotations

from bot.course.models import Module
from bot.flows.feedback import without_verdict
from tests.engine.driver import Learner
from tests.engine.test_journey import question_shown


async def _at_first_question(learner: Learner, module: Module) -> None:
    await learner.command("start")
    await learner.read_lesson()
    await learner.press("open", module.lessons[0].quiz.id)


async def test_a_wrong_answer_gets_its_own_rationale_the_source_feedback_and_the_key(make_engine, module):
    learner = Learner(make_engine(), user="wrong")
    await _at_first_question(learner, module)
    question = question_shown(learner, module.lessons[0].quiz.questions)
    chosen, other = [option for option in question.options if not option.correct][:2]
    await learner.press("answer", chosen.id)
    text = learner.text()
    assert chosen.why in text
    assert other.why not in text  # it speaks about the chosen option, not another wrong one
    assert without_verdict(question.feedback.incorrect) in text
    assert f"The correct answer: **{question.correct_option.text}**" in text
    assert text.count("Not quite") == 1  # the source's own "Not quite." is not repeated


async def test_a_right_answer_gets_the_source_correct_feedback_with_one_verdict(make_engine, module):
    learner = Learner(make_engine(), user="right")
    await _at_first_question(learner, module)
    question = question_shown(learner, module.lessons[0].quiz.questions)
    await learner.press("answer", question.correct_option.id)
    text = learner.text()
    assert question.feedback.correct.startswith("Correct. ")
    assert question.feedback.correct.removeprefix("Correct. ") in text
    assert text.count("Correct.") == 1
    assert "The correct answer" not in text
    assert not any(option.why in text for option in question.options if not option.correct)


def test_without_verdict_strips_only_a_leading_verdict() -> None:
    assert (
        without_verdict("Correct. Drift occurs when the world changes.")
        == "Drift occurs when the world changes."
    )
    assert (
        without_verdict("Not quite. The key distinction is orientation.")
        == "The key distinction is orientation."
    )
    assert without_verdict("Model drift refers to degradation.") == "Model drift refers to degradation."
    assert without_verdict("Correctly served models still drift.") == "Correctly served models still drift."
