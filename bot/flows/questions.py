"""What quizzes and the module test share: question cards with shuffled options as answer buttons,
and how answers are scored."""

from __future__ import annotations

from collections.abc import Sequence

from bot.course.models import Option, Question
from bot.domain.messages import Button, Message, Paragraph
from bot.domain.shuffle import shuffled
from bot.domain.state import LearnerState
from bot.flows.cards import MENU
from bot.flows.context import FlowContext


def options_in_order(question: Question, ctx: FlowContext, attempt: int) -> list[Option]:
    """This learner's option order for this attempt: shuffled per learner, reshuffled per attempt."""
    return shuffled(question.options, ctx.actor, question.id, attempt)


def question_card(
    state: LearnerState, ctx: FlowContext, question: Question, attempt: int, heading: str, *lead: str
) -> Message:
    """The question with its options as answer buttons, in `options_in_order`'s order (the same
    seed, over the module's (label, id) pairs, which cost less to read than the options)."""
    course = ctx.course
    token = str(state.token)
    choices = tuple(
        [
            Button(label=label, action="answer", arg=option_id, token=token, style="default")
            for label, option_id in shuffled(course.choices[question.id], ctx.actor, question.id, attempt)
        ]
    )
    stem = course.stems[question.stem]
    blocks = (*[Paragraph(text=text) for text in lead], stem) if lead else (stem,)
    return Message(heading=heading, blocks=blocks, choices=choices, actions=(MENU,), locks_on_choice=True)


def is_right(question: Question, answer: str) -> bool:
    """Whether option id `answer` is the question's correct option. An option the course no
    longer has (edited since it was chosen) is not."""
    option = question.option(answer)
    return option is not None and option.correct


def score(questions: Sequence[Question], answers: Sequence[str]) -> int:
    """Right answers among `answers`, given in the order of `questions`."""
    return sum(is_right(question, answer) for question, answer in zip(questions, answers, strict=False))
