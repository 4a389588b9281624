"""The module navigator's cards: the progress strip, the menu, progress, help and the welcome.

Which units are open is `units.py`'s to say; which unit a step is in, the registry's.
"""

from __future__ import annotations

from bot.course.models import Module, Unit
from bot.domain.events import Platform
from bot.domain.messages import Bullets, Message, Paragraph, ProgressStrip, StripUnit, UnitStatus
from bot.domain.release import day_label
from bot.domain.state import LearnerState
from bot.flows.cards import MENU, PROGRESS, RESUME, button, paragraphs
from bot.flows.context import FlowContext
from bot.flows.registry import current_unit_id
from bot.flows.terms import attempts_allowed, release_zone
from bot.flows.units import is_done, is_open, opens_on, unit_title


def help_text(module: Module, platform: Platform) -> str:
    """Every word a learner can use (on this platform); the pass mark is the module's own."""
    if platform == "terminal":
        pressing = (
            "Press a button by typing its number or its label; in a quiz or the test an answer's "
            "letter (`A`–`D`) works too. Numbers always mean the buttons shown last."
        )
        leaving = "• `quit` (or Ctrl-C, Ctrl-D): leave; your progress is already saved\n"
    else:
        pressing = "Press the buttons on a card, or type one of these words:"
        leaving = ""
    return (
        "**How this works**\n"
        "Work through the module unit by unit: read each lesson card by card, answer its quiz, "
        f"talk with the lab advisor, then sit the module test ({module.test.pass_percent} to pass).\n\n"
        f"{pressing}\n"
        "• `continue` or `next`: the main way forward (Continue, Finish lesson, the next unit)\n"
        "• `back`: the previous lesson card\n"
        "• `resume`: show where you are\n"
        "• `menu`: every unit and what is open\n"
        "• `progress`: your scores so far\n"
        "• `help`: this text\n"
        "• `pause`: no reminders from the course until you `resume`\n"
        f"{leaving}\n"
        "In a lab, anything else you type is your message to the advisor."
    )


def unit_status(state: LearnerState, module: Module, unit: Unit, now: float) -> UnitStatus:
    """A finished unit is `done` even while the learner is in it (reading a lesson again):
    the strip's ▶ marks only the unfinished unit the learner is working on."""
    if is_done(state, unit):
        return "done"
    if unit.id == current_unit_id(state, module):
        return "current"
    if opens_on(state, module, unit, now) is not None:
        return "scheduled"
    return "open" if is_open(state, module, unit, now) else "locked"


def opens_text(state: LearnerState, module: Module, unit: Unit, now: float) -> str:
    """`Mon 7 Dec` for a lesson the cohort releases later, in the cohort's zone; else ""."""
    at = opens_on(state, module, unit, now)
    return day_label(at, release_zone(state)) if at is not None else ""


def strip_unit(state: LearnerState, module: Module, unit: Unit, now: float) -> StripUnit:
    status = unit_status(state, module, unit, now)
    opens = opens_text(state, module, unit, now) if status == "scheduled" else ""
    return StripUnit(label=unit.label, status=status, opens=opens)


def strip(state: LearnerState, module: Module, now: float) -> ProgressStrip:
    return ProgressStrip(units=tuple(strip_unit(state, module, unit, now) for unit in module.units))


def locked_text(state: LearnerState, module: Module, unit: Unit, now: float) -> str:
    """What a learner is told who tries to open a unit that is not open."""
    opens = opens_text(state, module, unit, now)
    if opens:
        return f"{unit_title(module, unit)} opens on {opens}."
    return f"{unit_title(module, unit)} is locked for now."


def progress_message(state: LearnerState, ctx: FlowContext) -> Message:
    module = ctx.module
    progress = state.progress
    quiz_lines = []
    for lesson in module.lessons:
        result = progress.quizzes.get(lesson.quiz.id)
        if result:
            extra = f" (best {result.best}/{result.total})" if result.best != result.first else ""
            quiz_lines.append(f"Lesson {lesson.number} quiz: {result.first}/{result.total}{extra}")
        else:
            quiz_lines.append(f"Lesson {lesson.number} quiz: not taken")
    labs_done = sum(progress.lab_done(lesson.lab.id) for lesson in module.lessons)
    lines = quiz_lines + [f"Labs done: {labs_done}/{len(module.lessons)}"]
    best = progress.best_test
    if best:
        verdict = "passed" if progress.passed else "not passed yet"
        allowed = attempts_allowed(state, module.test)
        lines.append(
            f"Module test: best {best.score}/{best.total}, {verdict} "
            f"({progress.test_started} of {allowed} attempts used)"
        )
    else:
        lines.append("Module test: not taken")
    return Message(
        heading=f"Your progress · {module.title}",
        blocks=(strip(state, module, ctx.now), Bullets(items=tuple(lines))),
        actions=(RESUME, MENU),
        stays_where_asked=True,
        progress_card=True,
    )


def menu_message(state: LearnerState, ctx: FlowContext) -> Message:
    module, now = ctx.module, ctx.now
    buttons = [
        button(
            state,
            unit_title(module, unit),
            "open",
            unit.id,
            primary=unit.id == current_unit_id(state, module),
        )
        for unit in module.units
        if is_open(state, module, unit, now)
    ]
    locked = sum(not is_open(state, module, unit, now) for unit in module.units)
    note = f"{locked} units open as you progress." if locked else "Every unit is open."
    scheduled = [
        f"{unit_title(module, unit)} opens on {opens}."
        for unit in module.units
        if (opens := opens_text(state, module, unit, now))
    ]
    return Message(
        heading=module.title,
        blocks=(strip(state, module, now), *paragraphs("Pick a unit to open. " + note, " ".join(scheduled))),
        choices=tuple(buttons),
        actions=(RESUME, PROGRESS),
    )


def help_message(module: Module, platform: Platform, *, private: bool = False) -> Message:
    return Message(
        heading="Help",
        blocks=(Paragraph(text=help_text(module, platform)),),
        actions=(RESUME, MENU),
        private=private,
    )


def welcome_message(ctx: FlowContext) -> Message:
    module = ctx.module
    lessons = ", ".join(lesson.title for lesson in module.lessons)
    return Message(
        heading=f"Welcome to {module.title}",
        blocks=paragraphs(
            f"This module has {len(module.lessons)} lessons ({lessons}). Each has a short quiz and a lab "
            f"where you talk with an AI role-play advisor. It ends with a {len(module.test.questions)}-question "
            f"test; {module.test.pass_percent} passes.",
            "Type `help` at any time to see what you can do.",
        ),
    )
