"""Whole-module journeys through the engine, on the real Redis."""

from __future__ import annotations

import json

import pytest

from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module, Question
from bot.domain.messages import ProgressStrip
from bot.engine.engine import Engine
from bot.flows.feedback import without_verdict
from bot.storage.client import AsyncRedis
from tests.engine.driver import Learner

OPENERS_TOO_SHORT = "ok"


@pytest.fixture
def redis(redis_any: AsyncRedis) -> AsyncRedis:
    """Every journey runs on a single Redis server and on the three-primary Redis Cluster."""
    return redis_any


LAB_MESSAGES = (
    "What does a junior engineer spend most of the week doing?",
    "Which tools should I learn first to be useful on day one?",
    "How much of the job is research compared with systems work?",
)


def question_shown(learner: Learner, questions: tuple[Question, ...] | list[Question]) -> Question:
    for question in questions:
        if question.stem in learner.text():
            return question
    raise AssertionError("no known question on screen:\n" + learner.text())


async def answer(learner: Learner, question: Question, correct: bool) -> None:
    option = question.correct_option if correct else next(o for o in question.options if not o.correct)
    await learner.press("answer", option.id)


async def do_lessons_quizzes_labs(learner: Learner, module: Module, *, correct: bool = True) -> None:
    for lesson in module.lessons:
        if lesson.number > 1:
            await learner.open(lesson.id)
        await learner.read_lesson()
        assert f"Lesson {lesson.number} complete" in learner.text()
        await learner.press("open", lesson.quiz.id)
        for _ in lesson.quiz.questions:
            await answer(learner, question_shown(learner, lesson.quiz.questions), correct)
        await learner.press("open", lesson.lab.id)
        for text in LAB_MESSAGES:
            await learner.say(text)
        assert "Lab complete" in learner.text()


async def practise_if_due(learner: Learner) -> bool:
    """Do the practice round on what a failed attempt missed, when it is offered (any answers)."""
    if not any(b.action == "practice" for m in learner.shown for b in m.buttons):
        return False
    await learner.press("practice")
    while any(b.action == "answer" for m in learner.shown for b in m.buttons):
        await learner.press("answer", learner.button("answer").arg)
    return True


async def sit_test(learner: Learner, module: Module, right: int, action: str = "begin") -> None:
    if await practise_if_due(learner):
        action = "begin"  # the practice round ends at the test's intro, where the retake opens
    await learner.press(action)
    for n in range(len(module.test.questions)):
        await answer(learner, question_shown(learner, module.test.questions), n < right)


async def test_full_journey_completes_and_passes_the_module(make_engine, module, store):
    learner = Learner(make_engine())
    shown = await learner.command("start")
    assert shown[0].heading.startswith("Welcome to Module 2")
    assert "The Machine Learning Engineer" in learner.text()

    await do_lessons_quizzes_labs(learner, module)
    await learner.press("open", module.test.id)
    assert "Attempts used: 0 of 3" in learner.text()
    await sit_test(learner, module, right=15)
    assert "15/15" in learner.shown[0].heading and "Passed" in learner.shown[0].heading
    assert "complete" in learner.text() and "What next" in learner.text()
    pages = []
    for _ in range(3):  # the review comes a page of five answers at a time
        await learner.press("next")
        pages.append(learner.text())
    assert [page.count("You answered") for page in pages] == [5, 5, 5]
    review = "\n".join(pages)
    for question in module.test.questions:
        assert question.stem in review and without_verdict(question.feedback.correct) in review
    await learner.press("next")
    assert "15/15" in learner.shown[0].heading  # back at the result

    progress = await learner.command("progress")
    strip = next(b for b in progress[0].blocks if isinstance(b, ProgressStrip))
    assert [u.status for u in strip.units] == ["done"] * len(module.units)  # passed, so ✓ though current
    assert "Labs done: 4/4" in learner.text()
    assert "Lesson 1 quiz: 3/3" in learner.text()
    assert "best 15/15, passed" in learner.text()

    log = [json.loads(e) for e in await store.log(learner.actor, 1000)]
    kinds = [e["kind"] for e in log]
    assert kinds.count("answer") == 12 and kinds.count("test_answer") == 15
    assert kinds.count("lab_done") == 4 and kinds.count("quiz_done") == 4
    assert all("t" in e for e in log)


async def test_failed_test_then_retake_passes_and_best_score_counts(make_engine, module):
    learner = Learner(make_engine())
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, module)
    await learner.press("open", module.test.id)
    await sit_test(learner, module, right=11)
    assert "11/15" in learner.shown[0].heading and "Not passed yet" in learner.shown[0].heading

    await sit_test(learner, module, right=13, action="retake")
    assert "Passed" in learner.shown[0].heading
    await learner.command("progress")
    assert "best 13/15, passed (2 of 3 attempts used)" in learner.text()


async def test_attempts_run_out_after_three(make_engine, module):
    learner = Learner(make_engine())
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, module)
    await learner.press("open", module.test.id)
    await sit_test(learner, module, right=3)
    await sit_test(learner, module, right=5, action="retake")
    await sit_test(learner, module, right=4, action="retake")
    assert "used all 3 attempts" in learner.text()
    assert not any(b.action == "retake" for m in learner.shown for b in m.buttons)
    await learner.command("progress")
    assert "best 5/15, not passed yet" in learner.text()


async def test_retake_reshuffles_questions(make_engine, module):
    learner = Learner(make_engine())
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, module)
    await learner.press("open", module.test.id)
    orders = []
    for attempt in range(2):
        await learner.press("begin" if attempt == 0 or await practise_if_due(learner) else "retake")
        order = []
        for _ in module.test.questions:
            question = question_shown(learner, module.test.questions)
            order.append(question.id)
            await answer(learner, question, False)
        orders.append(order)
    assert sorted(orders[0]) == sorted(orders[1]) and orders[0] != orders[1]


async def test_test_is_locked_until_quizzes_and_labs_are_done(make_engine, module):
    learner = Learner(make_engine())
    await learner.command("start")
    menu = await learner.command("menu")
    assert not any(b.arg == module.test.id for b in menu[0].buttons)
    strip = next(b for b in menu[0].blocks if isinstance(b, ProgressStrip))
    assert strip.units[-1].label == "Module Test" and strip.units[-1].status == "locked"
    assert strip.units[0].status == "current"


async def test_retake_waits_for_the_cooldown(module, store):
    now = [1_000_000.0]
    cooled = module.model_copy(update={"test": module.test.model_copy(update={"cooldown_minutes": 30})})
    engine = Engine(cooled, store, OfflineAdvisor(), clock=lambda: now[0])
    learner = Learner(engine)
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, cooled)
    await learner.press("open", cooled.test.id)
    await sit_test(learner, cooled, right=2)
    assert "retake the test in 30 minutes" in learner.text()
    assert not any(b.action == "retake" for m in learner.shown for b in m.buttons)
    now[0] += 31 * 60
    await learner.command("resume")
    await sit_test(learner, cooled, right=15, action="retake")
    assert "Passed" in learner.shown[0].heading


def test_simulate_command_prints_a_consistent_summary(redis_target, monkeypatch, capsys):
    from bot.cli import main

    for name, value in redis_target.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["simulate", "--learners", "8", "--accuracy", "0.6", "--seed", "3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["learners"] == summary["completed"] == 8
    assert 0 <= summary["passed"] <= 8 and summary["errors"] == 0
    assert summary["events"] > 8 * 80
    assert summary["consistency"] == {
        "learners_checked": 8,
        "lost_updates": 0,
        "duplicated_updates": 0,
        "ok": True,
    }


async def test_typing_continue_takes_the_steps_way_forward(make_engine, module):
    learner = Learner(make_engine())
    await learner.command("start")
    while "complete" not in learner.text():
        await learner.say("continue")  # Continue, then Finish lesson on the last card
    assert "Lesson 1 complete" in learner.text()
    await learner.say("next")  # the completion card's way forward is the quiz
    assert module.lessons[0].quiz.title in learner.text()
    await learner.say("continue")  # a question has no way forward but an answer
    assert module.lessons[0].quiz.title in learner.text() and not learner.notices()
