"""Lesson flow: a lesson is shown as a sequence of short cards with Back and Continue.

States: card 0 (title, subtitle, opening question) → one card per section → key terms →
the completion card (`card == len(cards)`). Finishing marks the lesson read; a read lesson can
be opened again and re-read.
"""

from __future__ import annotations

from bot.course.models import Lesson
from bot.domain.events import Press
from bot.domain.messages import Block, Bullets, KeyTermList, Message, Paragraph
from bot.domain.state import LearnerState, LessonStep
from bot.flows import navigator
from bot.flows.cards import MENU, button, notice
from bot.flows.context import FlowContext, Outcome

_CARDS: dict[int, tuple[Lesson, list[Message]]] = {}


def cards(lesson: Lesson) -> list[Message]:
    """The lesson's content cards, without buttons (built once per lesson: they never change)."""
    cached = _CARDS.get(id(lesson))
    if cached is None or cached[0] is not lesson:
        cached = _CARDS[id(lesson)] = (lesson, _build_cards(lesson))
    return cached[1]


def _build_cards(lesson: Lesson) -> list[Message]:
    out = [
        Message(
            heading=f"Lesson {lesson.number} · {lesson.title}",
            blocks=(Paragraph(text=f"_{lesson.subtitle}_"), Paragraph(text=f"**{lesson.hook}**")),
        )
    ]
    for section in lesson.sections:
        blocks: list[Block] = [Paragraph(text=text) for text in section.paragraphs]
        if section.items:
            blocks.append(
                Bullets(items=tuple(f"**{i.label}**: {i.text}" if i.text else i.label for i in section.items))
            )
        heading = section.heading or f"Lesson {lesson.number} · {lesson.title}"
        out.append(Message(heading=heading, blocks=tuple(blocks)))
    out.append(
        Message(
            heading="Key terms",
            blocks=(KeyTermList(terms=tuple((t.term, t.definition) for t in lesson.key_terms)),),
        )
    )
    return out


def view(state: LearnerState, ctx: FlowContext, step: LessonStep) -> list[Message]:
    lesson = ctx.module.lesson(step.lesson_id)
    assert lesson is not None
    content = cards(lesson)
    if step.card >= len(content):
        return [
            Message(
                heading=f"Lesson {lesson.number} complete",
                blocks=(
                    Paragraph(
                        text=f"You have finished **{lesson.title}**. Next: check yourself with the quiz."
                    ),
                ),
                actions=(
                    *navigator.continue_button(state, ctx.module, lesson.id),
                    button(state, "Read again", "open", lesson.id),
                    MENU,
                ),
            )
        ]
    card = content[step.card]
    footer = Paragraph(text=f"_Card {step.card + 1} of {len(content)}_")
    back = (button(state, "Back", "back"),) if step.card > 0 else ()
    forward = button(
        state, "Continue" if step.card + 1 < len(content) else "Finish lesson", "next", primary=True
    )
    return [card.model_copy(update={"blocks": (*card.blocks, footer), "actions": (*back, forward, MENU)})]


def open_lesson(state: LearnerState, ctx: FlowContext, lesson: Lesson) -> Outcome:
    new = state.advanced(LessonStep(lesson_id=lesson.id))
    return Outcome(state=new, messages=view(new, ctx, new.step))  # type: ignore[arg-type]


def press(state: LearnerState, ctx: FlowContext, step: LessonStep, event: Press) -> Outcome:
    lesson = ctx.module.lesson(step.lesson_id)
    assert lesson is not None
    count = len(cards(lesson))
    if event.action == "back" and step.card > 0:
        new = state.advanced(LessonStep(lesson_id=lesson.id, card=min(step.card, count) - 1))
        return Outcome(state=new, messages=view(new, ctx, new.step))  # type: ignore[arg-type]
    if event.action == "next" and step.card < count:
        new = state.advanced(LessonStep(lesson_id=lesson.id, card=step.card + 1))
        log = []
        if step.card + 1 == count and lesson.id not in state.progress.lessons_done:
            new = new.with_progress(lessons_done=[*state.progress.lessons_done, lesson.id])
            log.append({"kind": "lesson_done", "lesson": lesson.id})
        return Outcome(state=new, messages=view(new, ctx, new.step), log=log)  # type: ignore[arg-type]
    return Outcome.reply(notice("That button does nothing on this card.", MENU))
