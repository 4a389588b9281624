"""The lesson flow, driven directly: cards with Back and Continue, finishing marks it read."""

from __future__ import annotations

from bot.course.models import Module
from bot.domain.state import LessonStep
from tests.flows.pure import PureLearner


def started(module: Module) -> PureLearner:
    learner = PureLearner(module)
    learner.command("start")
    return learner


def step(learner: PureLearner) -> LessonStep:
    assert learner.state is not None and isinstance(learner.state.step, LessonStep)
    return learner.state.step


def test_the_first_card_is_the_lessons_title_with_continue_but_no_back(module: Module) -> None:
    learner = started(module)
    lesson = module.lessons[0]
    card = learner.shown[-1]
    cards = 1 + len(lesson.sections) + 1
    assert card.heading == f"Lesson 1 · {lesson.title}"
    assert f"Card 1 of {cards}" in learner.text() and lesson.hook in learner.text()
    assert [(b.label, b.action) for b in card.actions] == [("Continue", "next"), ("Menu", "menu")]
    assert step(learner) == LessonStep(lesson_id=lesson.id, card=0)


def test_continue_and_back_move_a_card_and_change_the_token(module: Module) -> None:
    learner = started(module)
    first_token = learner.state.token  # type: ignore[union-attr]
    learner.press("next")
    assert step(learner).card == 1 and learner.state.token == first_token + 1  # type: ignore[union-attr]
    assert "Card 2 of" in learner.text()
    assert [b.label for b in learner.shown[-1].actions] == ["Back", "Continue", "Menu"]
    learner.press("back")
    assert step(learner).card == 0 and "Card 1 of" in learner.text()


def test_finishing_marks_the_lesson_read_once_and_offers_the_quiz(module: Module) -> None:
    learner = started(module)
    lesson = module.lessons[0]
    learner.read_lesson()
    assert learner.state is not None and learner.state.progress.lessons_done == [lesson.id]
    assert learner.last is not None and [e["kind"] for e in learner.last.log] == ["lesson_done"]
    assert learner.shown[-1].heading == "Lesson 1 complete"
    assert learner.button("open", lesson.quiz.id).label == "Continue: Lesson 1 quiz"
    learner.press("open", lesson.id)  # Read again
    learner.read_lesson()
    assert learner.state.progress.lessons_done == [lesson.id]
    assert learner.last is not None and learner.last.log == (
        {"kind": "step"},
    )  # read already: not counted twice


def test_a_button_the_card_does_not_have_changes_nothing(module: Module) -> None:
    learner = started(module)
    assert "does nothing on this card" in learner.refused(learner.forged("back"))
    assert "does nothing on this card" in learner.refused(learner.forged("answer", "a"))
    learner.command("resume")
    learner.read_lesson()
    assert learner.shown[-1].heading == "Lesson 1 complete"
    assert "does nothing on this card" in learner.refused(learner.forged("next"))


def test_every_lesson_of_the_sample_module_reads_to_its_end(sample: Module) -> None:
    learner = started(sample)
    for lesson in sample.lessons:
        learner.open(lesson.id)
        learner.read_lesson()
        assert learner.shown[-1].heading == f"Lesson {lesson.number} complete"
    assert learner.state is not None
    assert learner.state.progress.lessons_done == [lesson.id for lesson in sample.lessons]
