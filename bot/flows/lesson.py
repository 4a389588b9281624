"""Lesson flow: a lesson is shown as a sequence of short cards with Back and Continue.

States: card 0 (title, subtitle, opening question) → one card per section → key terms →
the completion card (`card == len(cards)`). Finishing marks the lesson read; a read lesson can
be opened again and re-read.
"""

from __future__ import annotations

from bot.course.models import Lesson, Module, Unit, UnitKind
from bot.domain.events import Press
from bot.domain.messages import Message, Paragraph
from bot.domain.state import LearnerState, LessonStep, Progress
from bot.flows.cards import MENU, button, notice
from bot.flows.context import FlowContext, LogEntry, Outcome
from bot.flows.flow import Flow
from bot.flows.units import continue_button


def _lesson(ctx: FlowContext, lesson_id: str) -> tuple[Lesson, tuple[Message, ...]]:
    course = ctx.course
    lesson = course.module.lesson(lesson_id)
    assert lesson is not None
    return lesson, course.lesson_cards[lesson_id]


def view(state: LearnerState, ctx: FlowContext, step: LessonStep) -> tuple[Message, ...]:
    lesson, content = _lesson(ctx, step.lesson_id)
    if step.card >= len(content):
        return (
            Message(
                heading=f"Lesson {lesson.number} complete",
                blocks=(
                    Paragraph(
                        text=f"You have finished **{lesson.title}**. Next: check yourself with the quiz."
                    ),
                ),
                actions=(
                    *continue_button(state, ctx.module, lesson.id, ctx.now),
                    button(state, "Read again", "open", lesson.id),
                    MENU,
                ),
            ),
        )
    number = step.card
    card = content[number]
    footer = ctx.course.card_footers[step.lesson_id][number]
    back = (button(state, "Back", "back"),) if number > 0 else ()
    forward = button(
        state, "Continue" if number + 1 < len(content) else "Finish lesson", "next", primary=True
    )
    return (card.replaced(blocks=(*card.blocks, footer), actions=(*back, forward, MENU)),)


def _show(
    state: LearnerState, ctx: FlowContext, step: LessonStep, *log: LogEntry, progress: Progress | None = None
) -> Outcome:
    new = state.advanced(step, progress)
    return Outcome(state=new, messages=view(new, ctx, step), log=log)


def open_unit(state: LearnerState, ctx: FlowContext, unit: Unit) -> Outcome:
    return _show(state, ctx, LessonStep(lesson_id=unit.id))


def press(state: LearnerState, ctx: FlowContext, step: LessonStep, event: Press) -> Outcome:
    lesson_id = step.lesson_id
    lesson, content = _lesson(ctx, lesson_id)
    # Read once: each read of a pydantic model's field costs several times a local's.
    action, number, count = event.action, step.card, len(content)
    if action == "back" and number > 0:
        return _show(state, ctx, LessonStep(lesson_id=lesson_id, card=min(number, count) - 1))
    if action == "next" and number < count:
        following = LessonStep(lesson_id=lesson_id, card=number + 1)
        if number + 1 == count and lesson_id not in state.progress.lessons_done:
            done = state.progress.with_lesson_done(lesson_id)
            return _show(state, ctx, following, {"kind": "lesson_done", "lesson": lesson_id}, progress=done)
        return _show(state, ctx, following)
    return Outcome.reply(notice("That button does nothing on this card.", MENU))


def _unit_id(step: LessonStep, module: Module) -> str:
    return step.lesson_id


def _resumes(step: LessonStep, ctx: FlowContext) -> bool:
    """Mid-lesson: carry on at the card. On the completion card, opening it reads it again."""
    return step.card < len(ctx.course.lesson_cards[step.lesson_id])


FLOW = Flow(
    step=LessonStep,
    unit_kind=UnitKind.LESSON,
    unit_id=_unit_id,
    open=open_unit,
    view=view,
    press=press,
    resumes=_resumes,
)
