"""Quiz flow: one question at a time, instant feedback, a score at the end.

States: answering question k (k = len(answers)) → finished (answers for every question).
A click locks the answer and moves on, so a second click on the same question is stale. The
first completed attempt is what reports count; retakes are practice and keep the best score.
"""

from __future__ import annotations

from bot.course.models import Lesson, Module, Quiz, Unit, UnitKind
from bot.domain.events import Press
from bot.domain.messages import Message, Paragraph
from bot.domain.state import LearnerState, Progress, QuizResult, QuizStep
from bot.flows.cards import MENU, button, notice
from bot.flows.context import FlowContext, LogEntry, Outcome
from bot.flows.feedback import answer_feedback
from bot.flows.flow import Flow
from bot.flows.questions import question_card, score
from bot.flows.units import continue_button


def _quiz(ctx: FlowContext, quiz_id: str) -> tuple[Lesson, Quiz]:
    found = ctx.module.quiz(quiz_id)
    assert found is not None
    return found


def view(state: LearnerState, ctx: FlowContext, step: QuizStep) -> tuple[Message, ...]:
    lesson, quiz = _quiz(ctx, step.quiz_id)
    if step.summary:
        return (summary_card(state, ctx, quiz),)
    index = len(step.answers)
    if index < len(quiz.questions):
        question = quiz.questions[index]
        lead = (quiz.instructions,) if index == 0 and quiz.instructions else ()
        heading = f"{quiz.title} · {index + 1}/{len(quiz.questions)}"
        return (question_card(state, ctx, question, step.attempt, heading, *lead),)
    return (score_card(state, ctx, step),)


def score_card(state: LearnerState, ctx: FlowContext, step: QuizStep) -> Message:
    lesson, quiz = _quiz(ctx, step.quiz_id)
    total = len(quiz.questions)
    result = state.progress.quizzes.get(quiz.id)
    lines = [f"You scored **{step.score}/{total}**."]
    if result and step.attempt > 1:
        lines.append(
            f"Practice attempt {step.attempt}. Your first score, {result.first}/{total}, is the one reported."
        )
    return Message(
        heading=f"{quiz.title} · score {step.score}/{total}",
        blocks=tuple(Paragraph(text=line) for line in lines),
        actions=(
            *continue_button(state, ctx.module, quiz.id, ctx.now),
            button(state, "Retake quiz", "retake"),
            MENU,
        ),
    )


def summary_card(state: LearnerState, ctx: FlowContext, quiz: Quiz) -> Message:
    """A finished quiz opened again: its scores first, then the way on or a retake."""
    result = state.progress.quizzes[quiz.id]
    lines = [
        f"You have taken this quiz: your first score, **{result.first}/{result.total}**, is the one reported."
    ]
    if result.best != result.first:
        lines.append(f"Your best score is {result.best}/{result.total}.")
    lines.append("A retake is practice: it can raise your best score, never lower it.")
    return Message(
        heading=f"{quiz.title} · score {result.first}/{result.total}",
        blocks=tuple(Paragraph(text=line) for line in lines),
        actions=(
            *continue_button(state, ctx.module, quiz.id, ctx.now),
            button(state, "Retake quiz", "retake"),
            MENU,
        ),
    )


def open_quiz(state: LearnerState, ctx: FlowContext, quiz: Quiz, *, retake: bool = False) -> Outcome:
    previous = state.progress.quizzes.get(quiz.id)
    if previous and not retake and quiz.id not in state.progress.quiz_unfinished:
        shown = QuizStep(quiz_id=quiz.id, attempt=previous.attempts, summary=True)
        new = state.advanced(shown)
        return Outcome(state=new, messages=view(new, ctx, shown))
    attempt = previous.attempts + 1 if previous else 1
    answers = state.progress.quiz_unfinished.get(quiz.id, [])[: len(quiz.questions) - 1]
    step = QuizStep(quiz_id=quiz.id, attempt=attempt, answers=answers, score=score(quiz.questions, answers))
    new = state.advanced(step, state.progress.with_quiz_resumed(quiz.id))
    return Outcome(state=new, messages=view(new, ctx, step))


def open_unit(state: LearnerState, ctx: FlowContext, unit: Unit) -> Outcome:
    return open_quiz(state, ctx, _quiz(ctx, unit.id)[1])


def leave(state: LearnerState, ctx: FlowContext, step: QuizStep) -> LearnerState:
    """The state as the learner leaves this quiz for another unit: an attempt in progress is
    kept, to carry on with when the quiz is opened again."""
    lesson, quiz = _quiz(ctx, step.quiz_id)
    if not 0 < len(step.answers) < len(quiz.questions):
        return state
    return state.with_progress(state.progress.with_quiz_unfinished(quiz.id, step.answers))


def press(state: LearnerState, ctx: FlowContext, step: QuizStep, event: Press) -> Outcome:
    lesson, quiz = _quiz(ctx, step.quiz_id)
    # Read once: each read of a pydantic model's field costs several times a local's.
    action, given, questions, quiz_id, number = (
        event.action,
        step.answers,
        quiz.questions,
        quiz.id,
        step.attempt,
    )
    index = len(given)
    total = len(questions)
    if action == "retake" and (index >= total or step.summary):
        return open_quiz(state, ctx, quiz, retake=True)
    if action != "answer" or index >= total or step.summary:
        return Outcome.reply(notice("That button does nothing here.", MENU))
    question = questions[index]
    option = question.option(event.arg)
    if option is None:
        return Outcome.reply(notice("That is not one of this question's answers.", MENU))

    chosen, correct = option.id, option.correct
    answers = [*given, chosen]
    got = step.score + correct
    new_step = QuizStep(quiz_id=quiz_id, attempt=number, answers=answers, score=got)
    log: list[LogEntry] = [
        {
            "kind": "answer",
            "quiz": quiz_id,
            "question": question.id,
            "option": chosen,
            "correct": correct,
            "attempt": number,
        }
    ]
    answered = Message(blocks=answer_feedback(question, option))
    progress: Progress | None = None
    if len(answers) == total:
        previous = state.progress.quizzes.get(quiz_id)
        if previous is None:
            result = QuizResult(first=got, best=got, total=total)
        else:
            result = previous.retaken(got, number)
        progress = state.progress.with_quiz(quiz_id, result)
        log.append({"kind": "quiz_done", "quiz": quiz_id, "score": got, "total": total, "attempt": number})
    new = state.advanced(new_step, progress)
    return Outcome(state=new, messages=(answered, *view(new, ctx, new_step)), log=tuple(log))


def _unit_id(step: QuizStep, module: Module) -> str:
    return step.quiz_id


FLOW = Flow(
    step=QuizStep,
    unit_kind=UnitKind.QUIZ,
    unit_id=_unit_id,
    open=open_unit,
    view=view,
    press=press,
    leave=leave,
    resumes=lambda step, ctx: (
        not step.summary and len(step.answers) < len(_quiz(ctx, step.quiz_id)[1].questions)
    ),
)
