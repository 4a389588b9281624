"""The module navigator: which units are open, the progress strip, the menu, help.

Unlocking: lesson N opens when lesson N-1 has been read; a lesson's quiz and lab open when the
lesson has been read; the module test opens when every quiz and lab is done (or a facilitator
unlocked it).
"""

from __future__ import annotations

from bot.course.models import Module, Unit, UnitKind
from bot.domain.messages import Bullets, Button, Message, Paragraph, ProgressStrip, StripUnit, UnitStatus
from bot.domain.state import LabStep, LearnerState, LessonStep, QuizStep, TestStep
from bot.flows.cards import MENU, PROGRESS, RESUME, button, paragraphs
from bot.flows.context import FlowContext


def help_text(module: Module) -> str:
    """What a learner can do; the pass mark is the module's own."""
    return (
        "**How this works**\n"
        "Work through the module unit by unit: read each lesson card by card, answer its quiz, "
        f"talk with the lab advisor, then sit the module test ({module.test.pass_percent} to pass).\n\n"
        "Type or press:\n"
        "• `resume`: show where you are\n"
        "• `menu`: every unit and what is open\n"
        "• `progress`: your scores so far\n"
        "• `help`: this text\n\n"
        "In a lab, just type your message to the advisor."
    )


def current_unit_id(state: LearnerState, module: Module) -> str | None:
    step = state.step
    if isinstance(step, LessonStep):
        return step.lesson_id
    if isinstance(step, QuizStep):
        return step.quiz_id
    if isinstance(step, LabStep):
        return step.lab_id
    if isinstance(step, TestStep):
        return module.test.id
    return None


def is_done(state: LearnerState, unit: Unit) -> bool:
    progress = state.progress
    if unit.kind is UnitKind.LESSON:
        return unit.id in progress.lessons_done
    if unit.kind is UnitKind.QUIZ:
        return unit.id in progress.quizzes
    if unit.kind is UnitKind.LAB:
        return progress.lab_done(unit.id)
    return progress.passed


def is_open(state: LearnerState, module: Module, unit: Unit) -> bool:
    progress = state.progress
    if unit.kind is UnitKind.LESSON:
        lesson = module.lesson(unit.id)
        assert lesson is not None
        earlier = [each for each in module.lessons if each.number < lesson.number]
        return all(each.id in progress.lessons_done for each in earlier)
    if unit.kind in (UnitKind.QUIZ, UnitKind.LAB):
        return unit.lesson_id in progress.lessons_done
    if progress.test_unlocked:
        return True
    return all(each.quiz.id in progress.quizzes and progress.lab_done(each.lab.id) for each in module.lessons)


def unit_status(state: LearnerState, module: Module, unit: Unit) -> UnitStatus:
    if unit.id == current_unit_id(state, module):
        return "current"
    if is_done(state, unit):
        return "done"
    return "open" if is_open(state, module, unit) else "locked"


def strip(state: LearnerState, module: Module) -> ProgressStrip:
    return ProgressStrip(
        units=tuple(
            StripUnit(label=unit.label, status=unit_status(state, module, unit)) for unit in module.units
        )
    )


def next_unit(state: LearnerState, module: Module, after: str) -> Unit | None:
    """The first open, unfinished unit after `after` in the module order, else any open unfinished one."""
    units = list(module.units)
    index = next((i for i, unit in enumerate(units) if unit.id == after), -1)
    for unit in units[index + 1 :] + units[: index + 1]:
        if unit.id != after and is_open(state, module, unit) and not is_done(state, unit):
            return unit
    return None


def continue_button(state: LearnerState, module: Module, after: str) -> tuple[Button, ...]:
    """A primary button to the next unit to do, or nothing when there is none."""
    unit = next_unit(state, module, after)
    if unit is None:
        return ()
    return (button(state, f"Continue: {unit_title(module, unit)}", "open", unit.id, primary=True),)


def unit_title(module: Module, unit: Unit) -> str:
    lesson = module.lesson(unit.lesson_id) if unit.lesson_id else None
    if unit.kind is UnitKind.LESSON and lesson:
        return f"Lesson {lesson.number}"
    if unit.kind is UnitKind.QUIZ and lesson:
        return f"Lesson {lesson.number} quiz"
    if unit.kind is UnitKind.LAB and lesson:
        return f"Lab {lesson.number}"
    return "Module test"


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
        lines.append(
            f"Module test: best {best.score}/{best.total}, {verdict} "
            f"({progress.test_started} of {module.test.max_attempts} attempts used)"
        )
    else:
        lines.append("Module test: not taken")
    return Message(
        heading=f"Your progress · {module.title}",
        blocks=(strip(state, module), Bullets(items=tuple(lines))),
        actions=(RESUME, MENU),
    )


def menu_message(state: LearnerState, ctx: FlowContext) -> Message:
    module = ctx.module
    buttons = [
        button(
            state,
            unit_title(module, unit),
            "open",
            unit.id,
            primary=unit_status(state, module, unit) == "current",
        )
        for unit in module.units
        if is_open(state, module, unit)
    ]
    locked = sum(not is_open(state, module, unit) for unit in module.units)
    note = f"{locked} units open as you progress." if locked else "Every unit is open."
    return Message(
        heading=module.title,
        blocks=(strip(state, module), *paragraphs("Pick a unit to open. " + note)),
        choices=tuple(buttons),
        actions=(RESUME, PROGRESS),
    )


def help_message(module: Module) -> Message:
    return Message(heading="Help", blocks=(Paragraph(text=help_text(module)),), actions=(RESUME, MENU))


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
