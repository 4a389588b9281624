"""Facilitator events through the pure transition function: what each changes, what it leaves."""

from __future__ import annotations

from bot.domain.facilitation import GrantAttempts, ResetProgress, UndoReset, UnlockTest
from bot.flows import facilitation
from tests.flows.pure import ACTOR, PureLearner


def unlock() -> UnlockTest:
    return UnlockTest(actor=ACTOR, by="F1")


def reset(unit: str) -> ResetProgress:
    return ResetProgress(actor=ACTOR, by="F1", unit=unit, reset_id="r1")


def test_unlock_and_grants_keep_the_step_token_so_the_learners_buttons_still_work(module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    token, lesson_cards = learner.state.token, learner.shown
    learner.send(unlock())
    assert learner.state.progress.test_unlocked and learner.state.token == token
    assert learner.shown[0].notice
    learner.send(GrantAttempts(actor=ACTOR, by="F1", extra=2))
    assert learner.state.progress.attempts_allowed(module.test.max_attempts) == module.test.max_attempts + 2
    assert learner.state.token == token
    learner.shown = lesson_cards  # the lesson buttons shown before the grants still work
    learner.read_lesson()
    assert module.lessons[0].id in learner.state.progress.lessons_done


def test_refusals_change_nothing(module) -> None:
    learner = PureLearner(module)
    assert (
        facilitation.refusal(None, reset("all"), module) == "has not started yet: there is nothing to reset."
    )
    assert learner.send(reset("all")).state is None
    assert facilitation.refusal(None, UndoReset(actor=ACTOR, by="F1"), module) == "has no reset to undo."
    learner.command("start")
    learner.send(unlock())
    assert learner.send(unlock()).state is None
    assert learner.send(reset(module.lessons[2].quiz.id)).state is None  # nothing done there
    assert "no such unit" in (facilitation.refusal(learner.state, reset("nope"), module) or "")


def test_resetting_the_current_unit_moves_the_learner_out_and_undo_keeps_the_old_first_score(module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()
    quiz = module.lessons[0].quiz
    learner.press("open", quiz.id)
    for _ in quiz.questions:
        learner.answer(learner.shown_question(quiz.questions), True)
    assert learner.state.progress.quizzes[quiz.id].first == 3
    token = learner.state.token
    learner.send(reset(quiz.id))
    assert quiz.id not in learner.state.progress.quizzes
    assert learner.state.step.at == "menu" and learner.state.token == token + 1
    assert learner.state.undo is not None and learner.state.undo.progress.quizzes[quiz.id].first == 3
    # The learner retakes it and does worse; undo puts the counted first attempt back.
    learner.open(quiz.id)
    for _ in quiz.questions:
        learner.answer(learner.shown_question(quiz.questions), False)
    assert learner.state.progress.quizzes[quiz.id].first == 0
    learner.send(UndoReset(actor=ACTOR, by="F1"))
    assert learner.state.progress.quizzes[quiz.id].first == 3 and learner.state.undo is None


def test_resetting_another_unit_leaves_the_learner_where_they_are(module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()
    learner.press("open", module.lessons[0].quiz.id)
    token, step = learner.state.token, learner.state.step
    learner.send(reset(module.lessons[0].id))
    assert module.lessons[0].id not in learner.state.progress.lessons_done
    assert learner.state.token == token and learner.state.step == step


def test_reset_all_keeps_the_facilitators_grants(module) -> None:
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()
    learner.send(GrantAttempts(actor=ACTOR, by="F1", extra=1))
    learner.send(reset("all"))
    progress = learner.state.progress
    assert progress.lessons_done == [] and progress.extra_attempts == 1
    learner.send(UndoReset(actor=ACTOR, by="F1"))
    assert learner.state.progress.lessons_done == [module.lessons[0].id]
