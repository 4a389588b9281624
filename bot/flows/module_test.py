"""Module test flow: deferred feedback, limited attempts, best score counts.

States: intro (`attempt == 0`) → answering question k → finished (a result and a review of
every question). Questions and options are reshuffled per attempt. An attempt counts toward
the limit from the moment it begins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.course.models import Module, ModuleTest, Question, Unit, UnitKind
from bot.domain.events import Press
from bot.domain.messages import Message, Paragraph
from bot.domain.shuffle import shuffled
from bot.domain.state import LearnerState, Progress, TestAttempt, TestStep
from bot.flows.cards import MENU, PROGRESS, button, notice
from bot.flows.context import FlowContext, LogEntry, Outcome
from bot.flows.flow import Flow
from bot.flows.questions import question_card

REVIEW_PER_CARD = 5


def question_order(ctx: FlowContext, attempt: int) -> list[Question]:
    return shuffled(ctx.module.test.questions, ctx.actor, ctx.module.test.id, attempt)


def score(questions: Sequence[Question], answers: Sequence[str]) -> int:
    """Correct answers among `answers`, given in the order of `questions`. An answer whose option
    the course no longer has (edited since it was given) scores nothing."""
    chosen = (question.option(answer) for question, answer in zip(questions, answers, strict=False))
    return sum(1 for option in chosen if option is not None and option.correct)


def attempts_used_up(progress: Progress, test: ModuleTest) -> bool:
    """Whether every allowed attempt has begun (a begun attempt counts even if abandoned).
    Opening the test early (`test_unlocked`) grants no attempts; a facilitator's extra
    attempts do."""
    return progress.test_started >= progress.attempts_allowed(test.max_attempts)


def _why_closed(state: LearnerState, ctx: FlowContext) -> str | None:
    """Why a new attempt cannot begin now, or None when it can."""
    test = ctx.module.test
    progress = state.progress
    if attempts_used_up(progress, test):
        allowed = progress.attempts_allowed(test.max_attempts)
        return f"You have used all {allowed} attempts. A facilitator can grant another."
    last = progress.test_attempts[-1] if progress.test_attempts else None
    if last and test.cooldown_minutes:
        wait = last.finished_at + test.cooldown_minutes * 60 - ctx.now
        if wait > 0:
            return f"You can retake the test in {math.ceil(wait / 60)} minutes."
    return None


def view(state: LearnerState, ctx: FlowContext, step: TestStep) -> tuple[Message, ...]:
    test = ctx.module.test
    if step.attempt == 0:
        return (_intro(state, ctx, test),)
    questions = question_order(ctx, step.attempt)
    index = len(step.answers)
    if index < len(questions):
        heading = f"{test.title} · {index + 1}/{len(questions)}"
        lead = (f"🔒 Answer {index} locked.",) if index else ()
        return (question_card(state, ctx, questions[index], step.attempt, heading, *lead),)
    return _results(state, ctx, step, questions)


def _intro(state: LearnerState, ctx: FlowContext, test: ModuleTest) -> Message:
    progress = state.progress
    allowed = progress.attempts_allowed(test.max_attempts)
    best = progress.best_test
    closed = _why_closed(state, ctx)
    if progress.passed and best:
        lines = [
            f"You passed this test with **{best.score}/{best.total}** ✅. Attempts used: "
            f"{progress.test_started} of {allowed}.",
            "Another attempt is practice: your best score counts, so it cannot undo your pass.",
        ]
        practice = () if closed else (button(state, "Practice attempt", "begin"),)
        return Message(
            heading=f"{test.title} · passed ✅",
            blocks=tuple(Paragraph(text=t) for t in lines),
            actions=(PROGRESS, MENU, *practice),
        )
    lines = [
        test.instructions or f"{len(test.questions)} questions",
        f"Answers are locked once chosen and feedback comes at the end. You pass with "
        f"{test.pass_score}/{len(test.questions)}. Attempts used: {progress.test_started} of {allowed}; "
        "your best score counts.",
    ]
    actions = (MENU,) if closed else (button(state, "Begin the test", "begin", primary=True), MENU)
    if closed:
        lines.append(closed)
    return Message(heading=test.title, blocks=tuple(Paragraph(text=t) for t in lines), actions=actions)


def review_pages(questions: Sequence[Question]) -> int:
    return max(1, math.ceil(len(questions) / REVIEW_PER_CARD))


def _results(
    state: LearnerState, ctx: FlowContext, step: TestStep, questions: list[Question]
) -> tuple[Message, ...]:
    """A finished attempt: the result (page 0), or one page of the review of every answer."""
    if step.page:
        return (_review_page(state, step, questions),)
    test = ctx.module.test
    progress = state.progress
    got = score(questions, step.answers)
    best = progress.best_test
    if test.passes(got):
        verdict = "Passed ✅"
    elif progress.passed:
        verdict = "passed earlier ✅"  # a later, lower attempt does not take the pass away
    else:
        verdict = "Not passed yet"
    lines = [f"You scored **{got}/{len(questions)}** ({round(100 * got / len(questions))}%). {verdict}."]
    if progress.passed and best and not test.passes(got):
        lines.append(
            f"You passed the module with {best.score}/{best.total}; a lower attempt changes nothing."
        )
    elif best and best.score > got:
        lines.append(f"Your best score, {best.score}/{best.total}, is the one that counts.")
    closed = _why_closed(state, ctx)
    if closed and not progress.passed:
        lines.append(closed)
    review = button(state, "Review your answers", "next", primary=not progress.passed)
    result = Message(
        heading=f"{test.title} · {got}/{len(questions)} · {verdict}",
        blocks=tuple(Paragraph(text=t) for t in lines),
    )
    if progress.passed:
        practice = () if closed else (button(state, "Practice attempt", "retake"),)
        complete = module_complete_message(state, ctx)
        actions = (review, PROGRESS, MENU, *practice)
        return (result, complete.model_copy(update={"actions": actions}))
    retake = () if closed else (button(state, "Retake the test", "retake"),)
    return (result.model_copy(update={"actions": (review, *retake, PROGRESS, MENU)}),)


def module_complete_message(state: LearnerState, ctx: FlowContext) -> Message:
    """What a learner who passed sees: that the module is done, and what comes next."""
    module = ctx.module
    best = state.progress.best_test
    assert best is not None
    return Message(
        heading=f"🎓 {module.title} · complete",
        blocks=(
            Paragraph(
                text=f"You have passed **{module.title}** with **{best.score}/{best.total}**. Your pass is on "
                "your record: your facilitator sees it in the cohort report."
            ),
            Paragraph(
                text="What next: every lesson, quiz and lab stays open in the `menu` to revisit, and you may "
                "sit the test again for practice (your best score counts). Ask your facilitator which module "
                "comes next."
            ),
        ),
    )


def _review_page(state: LearnerState, step: TestStep, questions: list[Question]) -> Message:
    pages = review_pages(questions)
    page = min(step.page, pages)
    start = (page - 1) * REVIEW_PER_CARD
    blocks = []
    for number, (question, answer) in enumerate(
        zip(
            questions[start : start + REVIEW_PER_CARD],
            step.answers[start : start + REVIEW_PER_CARD],
            strict=False,
        ),
        start + 1,
    ):
        option = question.option(answer)
        right = bool(option and option.correct)
        feedback = question.feedback.correct if right else question.feedback.incorrect
        chosen = option.text if option else "(no answer)"
        blocks.append(
            Paragraph(
                text=f"{'✅' if right else '❌'} **{number}. {question.stem}**\n"
                f"You answered: _{chosen}_\n{feedback}"
            )
        )
    forward = "Next page" if page < pages else "Back to the result"
    return Message(
        heading=f"Review {start + 1}–{start + len(blocks)} of {len(questions)} · page {page} of {pages}",
        blocks=tuple(blocks),
        actions=(button(state, "Back", "back"), button(state, forward, "next", primary=True), MENU),
    )


def open_unit(state: LearnerState, ctx: FlowContext, unit: Unit) -> Outcome:
    step = TestStep(attempt=0)
    new = state.advanced(step)
    return Outcome(state=new, messages=view(new, ctx, step))


def press(state: LearnerState, ctx: FlowContext, step: TestStep, event: Press) -> Outcome:
    test = ctx.module.test
    finished = step.attempt and len(step.answers) == len(test.questions)
    if event.action in ("begin", "retake") and (step.attempt == 0 or finished):
        closed = _why_closed(state, ctx)
        if closed:
            return Outcome.reply(notice(closed, MENU))
        attempt = state.progress.test_started + 1
        begun = TestStep(attempt=attempt)
        new = state.advanced(begun).with_progress(state.progress.with_test_begun())
        return Outcome(
            state=new, messages=view(new, ctx, begun), log=({"kind": "test_begin", "attempt": attempt},)
        )
    if finished and event.action in ("next", "back"):
        pages = review_pages(question_order(ctx, step.attempt))
        page = step.page + 1 if event.action == "next" else step.page - 1
        turned = step.model_copy(update={"page": page % (pages + 1)})
        new = state.advanced(turned)
        return Outcome(state=new, messages=view(new, ctx, turned))
    if event.action != "answer" or step.attempt == 0 or finished:
        return Outcome.reply(notice("That button does nothing here.", MENU))
    questions = question_order(ctx, step.attempt)
    question = questions[len(step.answers)]
    option = question.option(event.arg)
    if option is None:
        return Outcome.reply(notice("That is not one of this question's answers.", MENU))
    new_step = TestStep(attempt=step.attempt, answers=[*step.answers, option.id])
    new = state.advanced(new_step)
    log: list[LogEntry] = [
        {
            "kind": "test_answer",
            "attempt": step.attempt,
            "question": question.id,
            "option": option.id,
            "correct": option.correct,
        }
    ]
    if len(new_step.answers) == len(questions):
        got = score(questions, new_step.answers)
        passed = test.passes(got)
        attempt_result = TestAttempt(score=got, total=len(questions), passed=passed, finished_at=ctx.now)
        new = new.with_progress(state.progress.with_test_finished(attempt_result))
        log.append({"kind": "test_done", "attempt": step.attempt, "score": got, "passed": passed})
    return Outcome(state=new, messages=view(new, ctx, new_step), log=tuple(log))


def _unit_id(step: TestStep, module: Module) -> str:
    return module.test.id


def _resumes(step: TestStep, ctx: FlowContext) -> bool:
    """An attempt under way carries on (opening the test again would waste it)."""
    return step.attempt > 0 and len(step.answers) < len(ctx.module.test.questions)


FLOW = Flow(
    step=TestStep,
    unit_kind=UnitKind.TEST,
    unit_id=_unit_id,
    open=open_unit,
    view=view,
    press=press,
    resumes=_resumes,
)
