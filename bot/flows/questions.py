"""Question cards shared by quizzes and the module test: shuffled options as answer buttons."""

from __future__ import annotations

from bot.course.models import Option, Question
from bot.domain.messages import Message, Paragraph
from bot.domain.shuffle import shuffled
from bot.domain.state import LearnerState
from bot.flows.cards import MENU, button
from bot.flows.context import FlowContext


def options_in_order(question: Question, ctx: FlowContext, attempt: int) -> list[Option]:
    """This learner's option order for this attempt: shuffled per learner, reshuffled per attempt."""
    return shuffled(question.options, ctx.actor, question.id, attempt)


def question_card(
    state: LearnerState, ctx: FlowContext, question: Question, attempt: int, heading: str, *lead: str
) -> Message:
    choices = tuple(
        button(state, option.text, "answer", option.id) for option in options_in_order(question, ctx, attempt)
    )
    blocks = tuple(Paragraph(text=text) for text in (*lead, f"**{question.stem}**"))
    return Message(heading=heading, blocks=blocks, choices=choices, actions=(MENU,), locks_on_choice=True)
