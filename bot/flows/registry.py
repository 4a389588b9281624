"""Step type → the flow that runs it: the one table the router and the navigator consult.

A new kind of step is its flow module (ending with a `Flow`) and one line here.
"""

from __future__ import annotations

from typing import Any

from bot.course.models import Module, UnitKind
from bot.domain.state import LearnerState, Step
from bot.flows import lab, lesson, module_test, quiz
from bot.flows.flow import Flow

FLOWS: tuple[Flow[Any], ...] = (
    lesson.FLOW,
    quiz.FLOW,
    lab.FLOW,
    module_test.FLOW,
)

_BY_STEP: dict[type[Any], Flow[Any]] = {flow.step: flow for flow in FLOWS}
_BY_UNIT_KIND: dict[UnitKind, Flow[Any]] = {flow.unit_kind: flow for flow in FLOWS}


def flow_of(step: Step) -> Flow[Any] | None:
    """The flow a learner on `step` is in; None on the menu, which belongs to no flow."""
    return _BY_STEP.get(type(step))


def flow_opening(kind: UnitKind) -> Flow[Any]:
    """The flow that a unit of this kind starts."""
    return _BY_UNIT_KIND[kind]


def current_unit_id(state: LearnerState, module: Module) -> str | None:
    flow = flow_of(state.step)
    return flow.unit_id(state.step, module) if flow else None
