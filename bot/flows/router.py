"""Routes an event to the flow of the learner's current step, and renders the current step.

`apply` is the one pure transition function the engine calls: (state, event, context) →
outcome. Read-only answers (help, progress, menu, resume, anything that does not fit the
step) return an outcome with `state=None`, so the engine commits nothing.
"""

from __future__ import annotations

from bot.course.models import Module, UnitKind
from bot.domain.codec import UnreadableState
from bot.domain.events import Command, Event, Press, Text
from bot.domain.messages import Button, Message
from bot.domain.state import LabStep, LearnerState, LessonStep, MenuStep, QuizStep, TestStep
from bot.flows import lab, lesson, module_test, navigator, quiz
from bot.flows.cards import MENU, RESUME, notice
from bot.flows.context import AdvisorAnswered, AdvisorFailed, ClaimTurn, FlowContext, InternalEvent, Outcome

NAVIGATION_ACTIONS = {"menu", "resume", "progress", "help"}
"""Buttons that only show something: valid from any old message, so they carry no token."""

WORDS = {"start", "resume", "menu", "progress", "help", "continue"}


def new_learner(ctx: FlowContext) -> LearnerState:
    return LearnerState(module_id=ctx.module.id, started_at=ctx.now)


STEP_KINDS: dict[type, UnitKind] = {
    LessonStep: UnitKind.LESSON,
    QuizStep: UnitKind.QUIZ,
    LabStep: UnitKind.LAB,
    TestStep: UnitKind.TEST,
}


def repair(state: LearnerState, module: Module) -> LearnerState:
    """Send a learner whose step names a unit the course no longer has back to the menu.

    A step naming a unit of another kind (a quiz step pointing at a lab) is no course change
    but a broken record: `UnreadableState`, so it is set aside like any unreadable record.
    """
    unit_id = navigator.current_unit_id(state, module)
    if unit_id is None:
        return state
    unit = module.unit(unit_id)
    if unit is None:
        return state.advanced(MenuStep())
    if STEP_KINDS[type(state.step)] is not unit.kind:
        raise UnreadableState(f"a {state.step.at} step names {unit.kind.value} {unit_id!r}")
    return state


def view(state: LearnerState, ctx: FlowContext) -> list[Message]:
    """The current step, rendered again: what `resume` shows, and the recovery path after a crash."""
    step = state.step
    if isinstance(step, LessonStep):
        return lesson.view(state, ctx, step)
    if isinstance(step, QuizStep):
        return quiz.view(state, ctx, step)
    if isinstance(step, LabStep):
        return lab.view(state, ctx, step)
    if isinstance(step, TestStep):
        return module_test.view(state, ctx, step)
    return [navigator.menu_message(state, ctx)]


def apply(state: LearnerState | None, event: Event | InternalEvent, ctx: FlowContext) -> Outcome:
    """The transition function. `state` is None for a learner never seen before."""
    if state is None:
        if isinstance(event, (AdvisorAnswered, AdvisorFailed, ClaimTurn)):
            return Outcome(state=None)
        fresh = new_learner(ctx)
        first = ctx.module.lessons[0]
        started = lesson.open_lesson(fresh, ctx, first)
        started.messages.insert(0, navigator.welcome_message(ctx))
        started.log.append({"kind": "enrolled", "module": ctx.module.id})
        if isinstance(event, Command) and event.name in ("start", "resume"):
            return started
        # Any other first contact also enrols; then the event is answered on the new state.
        follow = (
            apply(started.state, event, ctx) if not isinstance(event, (Press, Text)) else Outcome(state=None)
        )
        started.messages += follow.messages
        return started
    if isinstance(event, (AdvisorAnswered, AdvisorFailed, ClaimTurn)):
        return _internal(state, event, ctx)
    if isinstance(event, Command):
        return _command(state, event.name, ctx)
    if isinstance(event, Text):
        return _text(state, event.text, ctx)
    return _press(state, event, ctx)


def _command(state: LearnerState, name: str, ctx: FlowContext) -> Outcome:
    if name == "help":
        return Outcome.reply(navigator.help_message(ctx.module))
    if name == "progress":
        return Outcome.reply(navigator.progress_message(state, ctx))
    if name == "menu":
        return Outcome.reply(navigator.menu_message(state, ctx))
    return Outcome.reply(*view(state, ctx))  # start and resume: where the learner is


def _text(state: LearnerState, text: str, ctx: FlowContext) -> Outcome:
    word = text.strip().lower().lstrip("/")
    if word in WORDS and word != "continue":
        return _command(state, word, ctx)
    if word in ("continue", "next"):
        forward = _forward_button(state, ctx)
        if forward is not None:
            return _press(
                state,
                Press(actor=ctx.actor, action=forward.action, arg=forward.arg, token=forward.token),
                ctx,
            )
    if isinstance(state.step, LabStep):
        return lab.message(state, ctx, state.step, text)
    if word in ("continue", "next"):
        return Outcome.reply(*view(state, ctx))
    return Outcome.reply(
        notice(
            "I didn't expect a message here: use the buttons, or type `resume` to see where you are "
            "or `help` for what you can do.",
            RESUME,
            MENU,
        )
    )


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


def _press(state: LearnerState, event: Press, ctx: FlowContext) -> Outcome:
    if event.action in NAVIGATION_ACTIONS:
        return _command(state, event.action, ctx)
    if event.token != str(state.token):
        return Outcome.reply(
            notice(
                "That button is from an earlier step, so it did nothing. Here is where you are now:",
                RESUME,
                MENU,
            )
        )
    if event.action == "open":
        return open_unit(state, event.arg, ctx)
    step = state.step
    if isinstance(step, LessonStep):
        return lesson.press(state, ctx, step, event)
    if isinstance(step, QuizStep):
        return quiz.press(state, ctx, step, event)
    if isinstance(step, LabStep):
        return lab.press(state, ctx, step, event)
    if isinstance(step, TestStep):
        return module_test.press(state, ctx, step, event)
    return Outcome.reply(notice("That button does nothing here.", RESUME, MENU))


def open_unit(state: LearnerState, unit_id: str, ctx: FlowContext) -> Outcome:
    module = ctx.module
    unit = module.unit(unit_id)
    if unit is None:
        return Outcome.reply(notice("That unit does not exist in this module.", MENU))
    if not navigator.is_open(state, module, unit):
        return Outcome.reply(notice(f"{navigator.unit_title(module, unit)} is locked for now.", MENU))
    if isinstance(state.step, LabStep) and state.step.pending:
        return Outcome.reply(notice("One moment: the advisor is still answering your last message."))
    if unit.kind is UnitKind.LESSON:
        return lesson.open_lesson(state, ctx, module.lesson(unit.id))  # type: ignore[arg-type]
    if unit.kind is UnitKind.QUIZ:
        return quiz.open_quiz(state, ctx, module.quiz(unit.id)[1])  # type: ignore[index]
    if unit.kind is UnitKind.LAB:
        return lab.open_lab(state, ctx, module.lab(unit.id)[1])  # type: ignore[index]
    return module_test.open_test(state, ctx)


def _internal(state: LearnerState, event: InternalEvent, ctx: FlowContext) -> Outcome:
    step = state.step
    if not isinstance(step, LabStep):
        return Outcome(state=None)  # the learner left the lab; nothing to finish
    if isinstance(event, AdvisorAnswered):
        return lab.answered(state, ctx, step, event)
    if isinstance(event, AdvisorFailed):
        return lab.failed(state, ctx, step, event)
    return lab.claim(state, ctx, step, event)
