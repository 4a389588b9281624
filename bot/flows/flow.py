"""What the router needs from one kind of step: its flow's transitions and the unit it opens.

Each flow module (lesson, quiz, lab, module test) ends with one `Flow` naming its functions;
`registry.py` lists them. The type parameter ties a step type to the functions that take it,
so mypy checks each entry where it is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.course.models import Module, Unit, UnitKind
from bot.domain.events import Press
from bot.domain.messages import Message
from bot.domain.state import LabStep, LearnerState, LessonStep, QuizStep, TestStep
from bot.flows.context import FlowContext, Outcome

S = TypeVar("S", LessonStep, QuizStep, LabStep, TestStep)


@dataclass(frozen=True)
class Flow(Generic[S]):
    step: type[S]
    unit_kind: UnitKind
    """The kind of unit whose `open` button starts this flow."""
    unit_id: Callable[[S, Module], str]
    """The unit a learner on this step is in."""
    open: Callable[[LearnerState, FlowContext, Unit], Outcome]
    """Start the flow on `unit`, which the navigator has checked is open."""
    view: Callable[[LearnerState, FlowContext, S], tuple[Message, ...]]
    """The step, shown again (`resume`)."""
    press: Callable[[LearnerState, FlowContext, S, Press], Outcome]
    """A button of this step, its token already checked."""
    leave: Callable[[LearnerState, FlowContext, S], LearnerState] | None = None
    """The state as the learner leaves this step for another unit (what it keeps of the step)."""
    resumes: Callable[[S, FlowContext], bool] | None = None
    """Whether opening this step's own unit again (from the menu) carries on where the learner
    is, rather than starting the unit over: true while the unit is under way."""
