"""The router and the navigator, driven directly: enrolment, read-only commands, stale and
misplaced buttons, locked units, typed words."""

from __future__ import annotations

import dataclasses

from bot.advisor.base import Turn
from bot.course.models import Module
from bot.domain.events import Command, Press, Text
from bot.domain.state import LessonStep, MenuStep, QuizStep
from bot.flows import router
from bot.flows.context import AdvisorAnswered, AskAdvisor, ClaimTurn, Outcome
from tests.flows.pure import PureLearner


def test_any_first_contact_enrols_with_the_welcome_and_the_first_lesson(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("help")
    assert learner.state is not None and learner.state.step == LessonStep(lesson_id=module.lessons[0].id)
    headings = [m.heading for m in learner.shown]
    assert headings[0] == f"Welcome to {module.title}"
    assert headings[1] == f"Lesson 1 · {module.lessons[0].title}"
    assert headings[-1] == "Help"  # then the command is answered
    assert learner.last is not None and [e["kind"] for e in learner.last.log] == ["enrolled"]

    pressed = PureLearner(module)
    pressed.send(Press(actor=pressed.actor, action="next", token="1"))  # a button it never saw
    assert pressed.state is not None and pressed.state.step == LessonStep(lesson_id=module.lessons[0].id)
    assert [m.heading for m in pressed.shown][-1] == f"Lesson 1 · {module.lessons[0].title}"


def test_the_engines_own_events_do_not_enrol_anyone(module: Module) -> None:
    learner = PureLearner(module)
    for event in (AdvisorAnswered(turn=1, text="hi", offline=True), ClaimTurn(turn=1)):
        outcome = learner.send(event)
        assert outcome.state is None and outcome.messages == ()


def test_help_menu_progress_and_resume_show_without_changing_anything(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.press("next")
    for name in ("help", "menu", "progress"):
        before = learner.state
        outcome = learner.command(name)
        assert outcome.state is None and learner.state is before and outcome.messages
    for action in ("help", "menu", "progress"):
        outcome = learner.send(Press(actor=learner.actor, action=action))  # navigation needs no token
        assert outcome.state is None and outcome.messages


def test_resume_changes_no_step_but_is_logged_as_the_learner_coming_back(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.press("next")
    before = learner.state
    for outcome in (
        learner.command("resume"),
        learner.command("start"),
        learner.send(Press(actor=learner.actor, action="resume")),  # a nudge's Resume button
        learner.send(Text(actor=learner.actor, text="resume")),
    ):
        assert outcome.state == before and outcome.log == ({"kind": "resumed"},)
        assert "Card 2 of" in learner.text()  # the card the learner is on


def test_the_menu_opens_only_what_is_unlocked(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.command("menu")
    opened = {b.arg for m in learner.shown for b in m.choices}
    assert opened == {module.lessons[0].id}
    quiz = module.lessons[0].quiz
    assert "Lesson 1 quiz is locked for now." in learner.refused(learner.forged("open", quiz.id))
    assert "does not exist" in learner.refused(learner.forged("open", "no-such-unit"))
    learner.command("resume")
    learner.read_lesson()
    learner.command("menu")
    assert {b.arg for m in learner.shown for b in m.choices} == {
        module.lessons[0].id,
        quiz.id,
        module.lessons[0].lab.id,
        module.lessons[1].id,
    }
    learner.press("open", quiz.id)
    assert learner.state is not None and isinstance(learner.state.step, QuizStep)


def test_a_button_from_an_earlier_step_is_answered_and_changes_nothing(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    old = learner.button("next")
    learner.press("next")
    said = learner.refused(Press(actor=learner.actor, action=old.action, arg=old.arg, token=old.token))
    assert "from an earlier step" in said


def test_typed_continue_presses_the_way_forward_and_other_text_is_answered(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.say("continue")
    assert learner.state is not None and learner.state.step == LessonStep(
        lesson_id=module.lessons[0].id, card=1
    )
    learner.say("  MENU ")
    assert learner.shown[0].heading == module.title
    said = learner.refused(Text(actor=learner.actor, text="hello there"))
    assert "I didn't expect a message here" in said


def test_a_step_button_on_the_menu_step_does_nothing(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    assert learner.state is not None
    learner.send_state(learner.state.advanced(MenuStep()))
    assert "does nothing here" in learner.refused(learner.forged("next"))
    learner.command("resume")
    assert learner.shown[0].heading == module.title  # the menu is where the learner is


def test_a_step_naming_a_unit_the_course_dropped_is_sent_to_the_menu(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    assert learner.state is not None
    gone = learner.state.advanced(LessonStep(lesson_id="lesson-that-was-removed"))
    repaired = router.repair(gone, module)
    assert repaired.step == MenuStep() and repaired.token == gone.token + 1
    assert router.repair(learner.state, module) is learner.state  # a sound state is left alone


def test_a_typed_command_on_a_first_contact_is_never_lost(module: Module) -> None:
    learner = PureLearner(module)
    learner.send(Command(actor=learner.actor, name="progress"))
    assert learner.shown[-1].heading == f"Your progress · {module.title}"


def test_an_outcome_with_another_log_keeps_every_other_field(module: Module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    every = Outcome(
        state=learner.state,
        messages=tuple(learner.shown),
        log=({"kind": "lesson_done"},),
        transcript=(Turn(role="learner", text="hello"),),
        lab_id="lab-1",
        job=AskAdvisor(lab_id="lab-1", turn=1),
    )
    logged = every.with_log(({"kind": "step"},))
    assert logged.log == ({"kind": "step"},)
    for field in dataclasses.fields(Outcome):
        if field.name != "log":  # a field added to Outcome and left out of with_log fails here
            assert getattr(logged, field.name) == getattr(every, field.name) != field.default, field.name
