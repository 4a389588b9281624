"""Screens that agree with each other: the strip, after a pass, reopening units, help."""

from __future__ import annotations

from bot.course.models import Module
from bot.domain.messages import ProgressStrip
from bot.flows.context import AdvisorAnswered
from bot.render.terminal import render_terminal
from tests.flows.pure import PureLearner


def strip_marks(learner: PureLearner) -> dict[str, str]:
    learner.command("progress")
    strip = next(b for m in learner.shown for b in m.blocks if isinstance(b, ProgressStrip))
    ids = learner.module.order
    return {unit_id: unit.status for unit_id, unit in zip(ids, strip.units, strict=True)}


def finish_everything_but_the_test(learner: PureLearner) -> None:
    module = learner.module
    for lesson in module.lessons:
        learner.open(lesson.id)
        learner.read_lesson()
        learner.open(lesson.quiz.id)
        for _ in lesson.quiz.questions:
            learner.answer(learner.shown_question(lesson.quiz.questions), True)
        learner.open(lesson.lab.id)
        for n in range(lesson.lab.exchanges_required):
            learner.say(f"How does the {lesson.title} handle problem number {n} at work?")
            turn = learner.state.step.pending.turn  # type: ignore[union-attr]
            learner.send(AdvisorAnswered(turn=turn, text="A full answer.", offline=True))


def sit(learner: PureLearner, right: int, action: str = "begin") -> None:
    learner.press(action)
    questions = learner.module.test.questions
    for n in range(len(questions)):
        learner.answer(learner.shown_question(questions), n < right)


def test_a_finished_unit_is_ticked_even_while_the_learner_is_in_it(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    assert strip_marks(learner)[module.lessons[0].id] == "current"  # ▶: unfinished, here
    learner.command("resume")
    learner.read_lesson()
    assert strip_marks(learner)[module.lessons[0].id] == "done"  # ✓ though still current
    learner.command("menu")
    menu = render_terminal(learner.shown[0]).text
    assert "✓ done · ▶ you are here · 🔒 locked" in menu  # the legend under the strip
    assert menu.index("L1 ✓") < menu.index("✓ done · ▶")


def test_opening_the_lesson_you_are_in_resumes_at_your_card(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.press("next")
    learner.press("next")
    assert "Card 3 of" in learner.text()
    learner.open(module.lessons[0].id)
    assert "Card 3 of" in learner.text()
    learner.read_lesson()
    learner.press("open", module.lessons[0].id)  # "Read again" on the completion card
    assert "Card 1 of" in learner.text()


def test_opening_a_finished_quiz_shows_its_score_before_a_retake(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()
    quiz = module.lessons[0].quiz
    learner.open(quiz.id)
    for n, _ in enumerate(quiz.questions):
        learner.answer(learner.shown_question(quiz.questions), n == 0)
    learner.open(module.lessons[0].lab.id)
    learner.open(quiz.id)
    assert "score 1/3" in learner.shown[0].heading
    assert "first score, **1/3**, is the one reported" in learner.text()
    assert not learner.shown[0].choices  # no question yet
    learner.press("retake")
    assert learner.shown_question(quiz.questions) == quiz.questions[0]
    assert "1/3" in learner.shown[0].heading


def test_after_a_pass_the_test_screens_say_passed_and_say_what_comes_next(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    finish_everything_but_the_test(learner)
    learner.open(module.test.id)
    sit(learner, right=13)
    assert "Passed ✅" in learner.shown[0].heading
    complete = learner.shown[-1]
    assert "complete" in (complete.heading or "") and "What next" in learner.text()
    assert "/tutor certificate" in learner.text()
    assert complete.buttons[0].label != "Retake the test"
    assert "You answered" not in learner.text()  # the review is not dumped on the screen

    sit(learner, right=10, action="retake")  # a later, lower practice attempt
    assert "Not passed yet" not in learner.text()
    assert "passed earlier ✅" in learner.shown[0].heading
    assert "a lower attempt changes nothing" in learner.text()
    assert learner.shown[-1].buttons[0].label != "Retake the test"

    learner.command("resume")
    assert "You answered" not in learner.text()
    learner.open(module.lessons[0].id)
    learner.open(module.test.id)
    assert "passed ✅" in learner.shown[0].heading and "13/15" in learner.text()
    assert learner.shown[0].buttons[0].label not in ("Retake the test", "Begin the test")


def test_the_test_review_comes_a_page_at_a_time(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    finish_everything_but_the_test(learner)
    learner.open(module.test.id)
    sit(learner, right=5)
    assert "You answered" not in learner.text()
    learner.press("next")
    assert "page 1 of 3" in learner.shown[0].heading
    assert learner.text().count("✅") + learner.text().count("❌") == 5
    assert "You answered" not in learner.text()  # attempts remain: the answers stay hidden
    learner.command("resume")
    assert "page 1 of 3" in learner.shown[0].heading  # resume shows the page, not all of it
    learner.press("next")
    learner.press("back")
    assert "page 1 of 3" in learner.shown[0].heading
    learner.press("back")
    assert "5/15" in learner.shown[0].heading


def test_help_lists_every_word_that_works(module: Module) -> None:
    terminal = PureLearner(
        module, actor=PureLearner(module).actor.model_copy(update={"platform": "terminal"})
    )
    terminal.command("start")
    terminal.command("help")
    text = terminal.text()
    for word in ("`continue`", "`next`", "`back`", "`resume`", "`menu`", "`progress`", "`help`", "`quit`"):
        assert word in text
    assert "number" in text and "label" in text and "`A`–`D`" in text
    slack = PureLearner(module)
    slack.command("start")
    slack.command("help")
    assert "`quit`" not in slack.text() and "`back`" in slack.text()


def test_typed_back_goes_back_a_card(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.press("next")
    learner.press("next")
    learner.say("back")
    assert "Card 2 of" in learner.text()
