"""Module test flow: deferred feedback, limited attempts, best score counts.

States: intro (`attempt == 0`) → answering question k → finished (a result and a review of
every question) → after a failed attempt, a practice round on what was missed (`practicing`)
→ intro, where the retake opens. Questions and options are reshuffled per attempt. An attempt
counts toward the limit from the moment it begins.

The review says which answers were wrong and the lesson section each comes from; the answers
themselves (the chosen and the correct options, the course's feedback) only once the learner
has passed or used every attempt, so a retake is not the same test with the key in hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.course.models import Module, ModuleTest, Question, Unit, UnitKind
from bot.domain.events import Press
from bot.domain.messages import Button, KeyTermList, Message, Paragraph
from bot.domain.shuffle import shuffled
from bot.domain.state import LearnerState, Progress, TestAttempt, TestStep
from bot.flows import practice
from bot.flows.cards import MENU, PROGRESS, button, notice
from bot.flows.context import FlowContext, LogEntry, Outcome
from bot.flows.feedback import answer_feedback, without_verdict
from bot.flows.flow import Flow
from bot.flows.questions import is_right, question_card, score
from bot.flows.terms import attempts_allowed, cooldown_minutes

REVIEW_PER_CARD = 5


def question_order(ctx: FlowContext, attempt: int) -> list[Question]:
    test = ctx.course.module.test
    return shuffled(test.questions, ctx.actor, test.id, attempt)


def attempts_used_up(state: LearnerState, test: ModuleTest) -> bool:
    """Whether every allowed attempt has begun (a begun attempt counts even if abandoned).
    The limit is the cohort's when the learner has one. Opening the test early
    (`test_unlocked`) grants no attempts; a facilitator's extra attempts do."""
    return state.progress.test_started >= attempts_allowed(state, test)


def practice_due(state: LearnerState, test: ModuleTest) -> bool:
    """Whether a practice round on the last attempt's misses must come before the retake."""
    progress = state.progress
    return (
        test.practice_before_retake
        and bool(progress.practice_for)
        and not progress.passed
        and not attempts_used_up(state, test)
    )


def answers_revealed(state: LearnerState, test: ModuleTest) -> bool:
    """The review shows the answers once the learner has passed or has no attempt left."""
    return state.progress.passed or attempts_used_up(state, test)


PRACTICE_FIRST = "Before the retake: a short practice round on what you missed. The retake opens after it."


def _why_closed(state: LearnerState, ctx: FlowContext) -> str | None:
    """Why a new attempt cannot begin now, or None when it can."""
    test = ctx.module.test
    progress = state.progress
    if attempts_used_up(state, test):
        allowed = attempts_allowed(state, test)
        return f"You have used all {allowed} attempts. A facilitator can grant another."
    reasons = [PRACTICE_FIRST] if practice_due(state, test) else []
    last = progress.test_attempts[-1] if progress.test_attempts else None
    cooldown = cooldown_minutes(state, test)
    if last and cooldown:
        wait = last.finished_at + cooldown * 60 - ctx.now
        if wait > 0:
            reasons.append(f"You can retake the test in {math.ceil(wait / 60)} minutes.")
    return " ".join(reasons) or None


def view(state: LearnerState, ctx: FlowContext, step: TestStep) -> tuple[Message, ...]:
    test = ctx.module.test
    if step.practicing:
        return _practice_view(state, ctx, step)
    if step.attempt == 0:
        return (_intro(state, ctx, test),)
    return _attempt_view(state, ctx, step, question_order(ctx, step.attempt))


def _attempt_view(
    state: LearnerState, ctx: FlowContext, step: TestStep, questions: list[Question]
) -> tuple[Message, ...]:
    """An attempt under way or finished, its questions in this attempt's order."""
    index = len(step.answers)
    if index < len(questions):
        heading = f"{ctx.module.test.title} · {index + 1}/{len(questions)}"
        lead = (f"🔒 Answer {index} locked.",) if index else ()
        return (question_card(state, ctx, questions[index], step.attempt, heading, *lead),)
    return _results(state, ctx, step, questions)


def _intro(state: LearnerState, ctx: FlowContext, test: ModuleTest) -> Message:
    progress = state.progress
    allowed = attempts_allowed(state, test)
    best = progress.best_test
    closed = _why_closed(state, ctx)
    if progress.passed and best:
        lines = [
            f"You passed this test with **{best.score}/{best.total}** ✅. Attempts used: "
            f"{progress.test_started} of {allowed}.",
            "Another attempt is practice: your best score counts, so it cannot undo your pass.",
        ]
        again = () if closed else (button(state, "Practice attempt", "begin"),)
        return Message(
            heading=f"{test.title} · passed ✅",
            blocks=tuple(Paragraph(text=t) for t in lines),
            actions=(PROGRESS, MENU, *again),
        )
    lines = [
        test.instructions or f"{len(test.questions)} questions",
        f"Answers are locked once chosen and feedback comes at the end. You pass with "
        f"{test.pass_score}/{len(test.questions)}. Attempts used: {progress.test_started} of {allowed}; "
        "your best score counts.",
    ]
    actions: tuple[Button, ...]
    if practice_due(state, test):
        actions = (_practice_button(state), MENU)
    else:
        actions = (MENU,) if closed else (button(state, "Begin the test", "begin", primary=True), MENU)
    if closed:
        lines.append(closed)
    return Message(heading=test.title, blocks=tuple(Paragraph(text=t) for t in lines), actions=actions)


def _practice_button(state: LearnerState) -> Button:
    return button(state, "Practice what you missed", "practice", primary=True)


def review_pages(questions: Sequence[Question]) -> int:
    return max(1, math.ceil(len(questions) / REVIEW_PER_CARD))


def _results(
    state: LearnerState, ctx: FlowContext, step: TestStep, questions: list[Question]
) -> tuple[Message, ...]:
    """A finished attempt: the result (page 0), or one page of the review of every answer."""
    if step.page:
        return (_review_page(state, ctx, step, questions),)
    test = ctx.module.test
    progress = state.progress
    got = score(questions, step.answers)
    best = progress.best_test
    passed = test.passes(got)
    if passed:
        verdict = "Passed ✅"
    elif progress.passed:
        verdict = "passed earlier ✅"  # a later, lower attempt does not take the pass away
    else:
        verdict = "Not passed yet"
    lines = [f"You scored **{got}/{len(questions)}** ({round(100 * got / len(questions))}%). {verdict}."]
    if progress.passed and best and not passed:
        lines.append(
            f"You passed the module with {best.score}/{best.total}; a lower attempt changes nothing."
        )
    elif best and best.score > got:
        lines.append(f"Your best score, {best.score}/{best.total}, is the one that counts.")
    missed = [q.id for q, a in zip(questions, step.answers, strict=False) if not is_right(q, a)]
    revisit = practice.sections_to_revisit(ctx.module, missed)
    if revisit and not passed:
        lines.append("To revisit: " + "; ".join(revisit) + ".")
    closed = _why_closed(state, ctx)
    if closed and not progress.passed:
        lines.append(closed)
    review = button(state, "Review your answers", "next", primary=not progress.passed)
    result = Message(
        heading=f"{test.title} · {got}/{len(questions)} · {verdict}",
        blocks=tuple(Paragraph(text=t) for t in lines),
    )
    if progress.passed:
        again = () if closed else (button(state, "Practice attempt", "retake"),)
        complete = module_complete_message(state, ctx)
        actions = (review, PROGRESS, MENU, *again)
        return (result, complete.replaced(actions=actions))
    if practice_due(state, test):
        retake: tuple[Button, ...] = (_practice_button(state),)
    else:
        retake = () if closed else (button(state, "Retake the test", "retake"),)
    return (result.replaced(actions=(review, *retake, PROGRESS, MENU)),)


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
            Paragraph(
                text="Your certificate, with a code anyone can check: `/tutor certificate` "
                "(in the terminal, type `certificate`)."
            ),
        ),
    )


def _review_page(state: LearnerState, ctx: FlowContext, step: TestStep, questions: list[Question]) -> Message:
    revealed = answers_revealed(state, ctx.module.test)
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
        head = f"{'✅' if right else '❌'} **{number}. {question.stem}**"
        if revealed:
            chosen = option.text if option else "(no answer)"
            lines = [head, f"You answered: _{chosen}_"]
            if not right and option is not None and option.why:
                lines.append(option.why)
            lines.append(without_verdict(question.feedback.correct if right else question.feedback.incorrect))
            if not right:
                lines.append(f"The correct answer: **{question.correct_option.text}**")
        else:
            lines = [head]
            if not right:
                lines += [
                    f"Revisit: {place}" for place in practice.sections_to_revisit(ctx.module, [question.id])
                ]
        blocks.append(Paragraph(text="\n".join(lines)))
    forward = "Next page" if page < pages else "Back to the result"
    return Message(
        heading=f"Review {start + 1}–{start + len(blocks)} of {len(questions)} · page {page} of {pages}",
        blocks=tuple(blocks),
        actions=(button(state, "Back", "back"), button(state, forward, "next", primary=True), MENU),
    )


# The practice round ---------------------------------------------------------------------------


def _round(state: LearnerState, ctx: FlowContext) -> list[Question]:
    return practice.questions(
        ctx.module, state.progress.practice_for, ctx.actor, len(state.progress.test_attempts)
    )


def _practice_view(state: LearnerState, ctx: FlowContext, step: TestStep) -> tuple[Message, ...]:
    questions = _round(state, ctx)
    index = len(step.practice)
    out: list[Message] = []
    if index == 0:
        terms = practice.key_terms(ctx.module, state.progress.practice_for)
        lines = [
            "A short practice round on what you missed: lesson quiz questions from the same sections, "
            "with feedback after each answer. Nothing here is scored. The retake opens when you finish."
        ]
        blocks: list[Paragraph | KeyTermList] = [Paragraph(text=t) for t in lines]
        if terms:
            blocks.append(Paragraph(text="**Key terms of those sections**"))
            blocks.append(KeyTermList(terms=tuple((t.term, t.definition) for t in terms)))
        out.append(Message(heading="Practice what you missed", blocks=tuple(blocks)))
    if index < len(questions):
        heading = f"Practice · {index + 1}/{len(questions)}"
        salt = practice.OPTION_SALT + len(state.progress.test_attempts)
        out.append(question_card(state, ctx, questions[index], salt, heading))
    return tuple(out)


def _practice_press(state: LearnerState, ctx: FlowContext, step: TestStep, event: Press) -> Outcome:
    questions = _round(state, ctx)
    index = len(step.practice)
    if event.action != "answer" or index >= len(questions):
        return Outcome.reply(notice("That button does nothing here.", MENU))
    question = questions[index]
    option = question.option(event.arg)
    if option is None:
        return Outcome.reply(notice("That is not one of this question's answers.", MENU))
    answers = [*step.practice, option.id]
    log: list[LogEntry] = [
        {"kind": "practice_answer", "question": question.id, "option": option.id, "correct": option.correct}
    ]
    feedback = Message(blocks=answer_feedback(question, option))
    if len(answers) < len(questions):
        turned = step.with_practice(answers)
        new = state.advanced(turned)
        return Outcome(state=new, messages=(feedback, *view(new, ctx, turned)), log=tuple(log))
    right = score(questions, answers)
    intro = TestStep(attempt=0)
    new = state.advanced(intro, state.progress.with_practice_done())
    log.append({"kind": "practice_done", "right": right, "total": len(questions)})
    done = Message(blocks=(Paragraph(text=f"Practice round done: {right}/{len(questions)} right."),))
    return Outcome(state=new, messages=(feedback, done, *view(new, ctx, intro)), log=tuple(log))


def open_unit(state: LearnerState, ctx: FlowContext, unit: Unit) -> Outcome:
    step = TestStep(attempt=0)
    new = state.advanced(step)
    return Outcome(state=new, messages=view(new, ctx, step))


def press(state: LearnerState, ctx: FlowContext, step: TestStep, event: Press) -> Outcome:
    test = ctx.course.module.test
    # Read once: each read of a pydantic model's field costs several times a local's.
    action, number, given = event.action, step.attempt, step.answers
    finished = number and len(given) == len(test.questions)
    if action in ("begin", "retake") and (number == 0 or finished):
        closed = _why_closed(state, ctx)
        if closed:
            return Outcome.reply(notice(closed, MENU))
        attempt = state.progress.test_started + 1
        begun = TestStep(attempt=attempt)
        new = state.advanced(begun, state.progress.with_test_begun())
        return Outcome(
            state=new, messages=view(new, ctx, begun), log=({"kind": "test_begin", "attempt": attempt},)
        )
    if step.practicing:
        return _practice_press(state, ctx, step, event)
    if action == "practice" and (number == 0 or finished):
        if not practice_due(state, test):
            return Outcome.reply(notice("There is no practice round to do now.", MENU))
        round_step = TestStep(attempt=0, practicing=True)
        new = state.advanced(round_step)
        return Outcome(state=new, messages=view(new, ctx, round_step), log=({"kind": "practice_begin"},))
    if finished and action in ("next", "back"):
        pages = review_pages(test.questions)  # as many as in this attempt's order
        page = step.page + 1 if action == "next" else step.page - 1
        turned = step.on_page(page % (pages + 1))
        new = state.advanced(turned)
        return Outcome(state=new, messages=view(new, ctx, turned))
    if action != "answer" or number == 0 or finished:
        return Outcome.reply(notice("That button does nothing here.", MENU))
    questions = question_order(ctx, number)
    question = questions[len(given)]
    option = question.option(event.arg)
    if option is None:
        return Outcome.reply(notice("That is not one of this question's answers.", MENU))
    chosen = option.id
    answers = [*given, chosen]
    new_step = TestStep(attempt=number, answers=answers)
    log: list[LogEntry] = [
        {
            "kind": "test_answer",
            "attempt": number,
            "question": question.id,
            "option": chosen,
            "correct": option.correct,
        }
    ]
    progress: Progress | None = None
    if len(answers) == len(questions):
        got = score(questions, answers)
        passed = test.passes(got)
        attempt_result = TestAttempt(score=got, total=len(questions), passed=passed, finished_at=ctx.now)
        missed = [q.id for q, a in zip(questions, answers, strict=False) if not is_right(q, a)]
        practice_for = missed if test.practice_before_retake and not passed else []
        progress = state.progress.with_test_finished(attempt_result, practice_for)
        log.append({"kind": "test_done", "attempt": number, "score": got, "passed": passed})
    new = state.advanced(new_step, progress)
    return Outcome(state=new, messages=_attempt_view(new, ctx, new_step, questions), log=tuple(log))


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
