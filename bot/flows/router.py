"""Routes an event to the flow of the learner's current step, and renders the current step.

`apply` is the one pure transition function the engine calls: (state, event, context) →
outcome. Read-only answers (help, progress, menu, anything that does not fit the step) return
an outcome with `state=None`, so the engine commits nothing; `start` and `resume` commit the
unchanged state with a `resumed` log entry, so coming back counts as activity.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from bot.course.models import Module
from bot.domain.codec import UnreadableState
from bot.domain.events import Command, CommandName, Press, Text, is_navigation
from bot.domain.facilitation import FACILITATOR_EVENTS, FacilitatorEvent
from bot.domain.messages import Button, Message
from bot.domain.state import LabStep, LearnerState, MenuStep
from bot.flows import facilitation, lab, navigator
from bot.flows.cards import MENU, RESUME, notice
from bot.flows.context import (
    AdvisorAnswered,
    AdvisorFailed,
    AnyEvent,
    ClaimTurn,
    FlowContext,
    InternalEvent,
    LogEntry,
    Outcome,
    RenewLease,
)
from bot.flows.registry import flow_of, flow_opening
from bot.flows.units import is_open, opens_on

WORDS: dict[str, CommandName] = {
    "start": "start",
    "resume": "resume",
    "menu": "menu",
    "progress": "progress",
    "help": "help",
}
"""Typed words that act as navigator commands."""
FORWARD_WORDS = frozenset({"continue", "next", "back"})
"""Typed words that press one of the step's buttons: the primary way forward, or Back."""


def new_learner(ctx: FlowContext) -> LearnerState:
    return LearnerState(module_id=ctx.module.id, started_at=ctx.now)


def repair(state: LearnerState, module: Module) -> LearnerState:
    """Send a learner whose step names a unit the course no longer has back to the menu.

    A step naming a unit of another kind (a quiz step pointing at a lab) is no course change
    but a broken record: `UnreadableState`, so it is set aside like any unreadable record.
    """
    flow = flow_of(state.step)
    if flow is None:
        return state
    unit_id = flow.unit_id(state.step, module)
    unit = module.unit(unit_id)
    if unit is None:
        return state.advanced(MenuStep())
    if flow.unit_kind is not unit.kind:
        raise UnreadableState(f"a {state.step.at} step names {unit.kind.value} {unit_id!r}")
    return state


def view(state: LearnerState, ctx: FlowContext) -> tuple[Message, ...]:
    """The current step, rendered again: what `resume` shows, and the recovery path after a crash."""
    flow = flow_of(state.step)
    if flow is None:
        return (navigator.menu_message(state, ctx),)
    return flow.view(state, ctx, state.step)


_LEARNER, _FACILITATOR, _INTERNAL = 1, 2, 3
_ROUTES: dict[type[object], int] = {
    Press: _LEARNER,
    Text: _LEARNER,
    Command: _LEARNER,
    **dict.fromkeys(FACILITATOR_EVENTS, _FACILITATOR),
    **dict.fromkeys((AdvisorAnswered, AdvisorFailed, ClaimTurn, RenewLease), _INTERNAL),
}
"""Event class → whose event it is, looked up by the exact class: an isinstance test that
fails goes through a pydantic class's metaclass, at several times the cost of this lookup.
Anything else (a subclass) is told apart with isinstance, as ever."""


def apply(state: LearnerState | None, event: AnyEvent, ctx: FlowContext) -> Outcome:
    """The transition function. `state` is None for a learner never seen before."""
    route = _ROUTES.get(type(event))
    if route is None:
        route = (
            _LEARNER
            if isinstance(event, (Press, Text, Command))
            else _FACILITATOR
            if isinstance(event, FACILITATOR_EVENTS)
            else _INTERNAL
        )
    if route == _LEARNER:
        if state is None or state.awaiting_start:
            return _enrol(event, ctx, state)
        return _active(_learner(state, cast("Press | Text | Command", event), ctx))
    if route == _FACILITATOR:
        return facilitation.apply(state, cast("FacilitatorEvent", event), ctx)
    if state is None or state.awaiting_start:
        return _enrol(event, ctx, state)
    return _internal(state, cast("InternalEvent", event), ctx)


def _learner(state: LearnerState, event: Press | Text | Command, ctx: FlowContext) -> Outcome:
    if isinstance(event, Press):
        return _press(state, event, ctx)
    if isinstance(event, Text):
        return _text(state, event.text, ctx)
    if event.name == "help":
        # Help asked for with a command is for the asker alone, shown where they asked.
        return Outcome.reply(navigator.help_message(ctx.module, ctx.actor.platform, private=True))
    return _command(state, event.name, ctx)


_STEP: tuple[LogEntry, ...] = ({"kind": "step"},)


def _active(outcome: Outcome) -> Outcome:
    """A learner's own event that moves their record on is activity, logged even when the flow
    has nothing of its own to log (the next lesson card, a lab message before its reply): "last
    active", which nudges and the roster read, comes from the event log."""
    if outcome.state is None or outcome.log:
        return outcome
    return outcome.with_log(_STEP)


def _enrol(event: AnyEvent, ctx: FlowContext, waiting: LearnerState | None = None) -> Outcome:
    """Any first contact enrols: the welcome and the first lesson, then (for a command other
    than start or resume) its answer on the new state. A first press or text is not answered:
    it cannot belong to a step this learner has seen. `waiting` is a record a facilitator made
    before that first contact (a grant): it is kept."""
    if not isinstance(event, (Command, Press, Text)):
        return Outcome(state=None)  # the engine's own events need a learner with a lab turn
    fresh = new_learner(ctx) if waiting is None else waiting.with_start(ctx.now)
    first = ctx.module.unit(ctx.module.lessons[0].id)
    assert first is not None
    started = flow_opening(first.kind).open(fresh, ctx, first)
    messages = (navigator.welcome_message(ctx), *started.messages)
    if isinstance(event, Command) and event.name not in ("start", "resume") and started.state is not None:
        messages += _command(started.state, event.name, ctx).messages
    return replace(
        started, messages=messages, log=(*started.log, {"kind": "enrolled", "module": ctx.module.id})
    )


def _command(state: LearnerState, name: CommandName, ctx: FlowContext) -> Outcome:
    if name == "help":
        return Outcome.reply(navigator.help_message(ctx.module, ctx.actor.platform))
    if name == "progress":
        return Outcome.reply(navigator.progress_message(state, ctx))
    if name == "menu":
        return Outcome.reply(navigator.menu_message(state, ctx))
    if name == "pause":  # answered before the engine (`bot.nudges.controls`) wherever nudges are sent
        return Outcome.reply(notice("There are no reminders to pause here.", RESUME))
    # Start and resume show where the learner is. They change no step, but they are the
    # learner coming back, so they are logged: the event log is what "last active" is read
    # from (nudges, the roster), and one commit keeps it the engine's way.
    return Outcome(state=state, messages=view(state, ctx), log=({"kind": "resumed"},))


def _text(state: LearnerState, text: str, ctx: FlowContext) -> Outcome:
    word = text.strip().lower().lstrip("/")
    command = WORDS.get(word)
    if command is not None:
        return _command(state, command, ctx)
    if word in FORWARD_WORDS:
        forward = _forward_button(state, ctx) if word != "back" else _back_button(state, ctx)
        if forward is not None:
            return _press(
                state,
                Press(actor=ctx.actor, action=forward.action, arg=forward.arg, token=forward.token),
                ctx,
            )
    if type(state.step) is LabStep:  # see `reads_text`; steps have no subclasses (see `open_unit`)
        return lab.message(state, ctx, state.step, text)
    if word in FORWARD_WORDS:
        return Outcome.reply(*view(state, ctx))
    return Outcome.reply(
        notice(
            "I didn't expect a message here: use the buttons, or type `resume` to see where you are "
            "or `help` for what you can do.",
            RESUME,
            MENU,
        )
    )


def reads_text(state: LearnerState) -> bool:
    """Whether the learner's step takes what they type as their own words: a lab, talking to
    the advisor (no other step takes a typed answer)."""
    return isinstance(state.step, LabStep)


def _forward_button(state: LearnerState, ctx: FlowContext) -> Button | None:
    """The step's primary way forward (Continue, Finish lesson, Begin…), for a typed `continue`."""
    return next(
        (
            b
            for m in view(state, ctx)
            for b in m.buttons
            if b.style == "primary" and b.token and b.action != "say"
        ),
        None,
    )


def _back_button(state: LearnerState, ctx: FlowContext) -> Button | None:
    """The step's Back button, for a typed `back`."""
    return next((b for m in view(state, ctx) for b in m.buttons if b.action == "back" and b.token), None)


def _press(state: LearnerState, event: Press, ctx: FlowContext) -> Outcome:
    action = event.action
    if is_navigation(action):
        return _command(state, action, ctx)
    if action == "go":
        return open_unit(state, event.arg, ctx)  # from a release DM: carries no step token
    if action == "open" and (held := _held_back(state, event.arg, ctx)) is not None:
        return held  # even from an old card: the learner hears when it opens
    if event.token != str(state.token):
        return Outcome.reply(
            notice(
                "That button is from an earlier step, so it did nothing. Here is where you are now:",
                RESUME,
                MENU,
            )
        )
    if action == "open":
        return open_unit(state, event.arg, ctx)
    step = state.step
    flow = flow_of(step)
    if flow is None:
        return Outcome.reply(notice("That button does nothing here.", RESUME, MENU))
    return flow.press(state, ctx, step, event)


def _held_back(state: LearnerState, unit_id: str, ctx: FlowContext) -> Outcome | None:
    """The answer to opening a lesson the cohort's schedule still holds back, else None."""
    unit = ctx.module.unit(unit_id)
    if unit is None or opens_on(state, ctx.module, unit, ctx.now) is None:
        return None
    return Outcome.reply(notice(navigator.locked_text(state, ctx.module, unit, ctx.now), MENU))


def open_unit(state: LearnerState, unit_id: str, ctx: FlowContext) -> Outcome:
    module = ctx.module
    unit = module.unit(unit_id)
    if unit is None:
        return Outcome.reply(notice("That unit does not exist in this module.", MENU))
    if not is_open(state, module, unit, ctx.now):
        return Outcome.reply(notice(navigator.locked_text(state, module, unit, ctx.now), MENU))
    # `type(...) is`, not isinstance: on a step of another class, isinstance goes through the
    # pydantic metaclass; a step is always one of `Step`'s own classes, never a subclass.
    step = state.step
    if type(step) is LabStep and step.pending:
        return Outcome.reply(notice("One moment: the advisor is still answering your last message."))
    current = flow_of(step)
    if (
        current is not None
        and current.resumes is not None
        and current.unit_id(step, module) == unit.id
        and current.resumes(step, ctx)
    ):
        return Outcome.reply(*current.view(state, ctx, step))  # the unit the learner is in
    if current is not None and current.leave is not None:
        state = current.leave(state, ctx, step)
    return flow_opening(unit.kind).open(state, ctx, unit)


def _internal(state: LearnerState, event: InternalEvent, ctx: FlowContext) -> Outcome:
    step = state.step
    if not isinstance(step, LabStep):
        return Outcome(state=None)  # the learner left the lab; nothing to finish
    if isinstance(event, AdvisorAnswered):
        return lab.answered(state, ctx, step, event)
    if isinstance(event, AdvisorFailed):
        return lab.failed(state, ctx, step, event)
    if isinstance(event, RenewLease):
        return lab.renew(state, ctx, step, event)
    return lab.claim(state, ctx, step, event)
