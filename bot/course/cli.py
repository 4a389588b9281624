"""`tutorbot course validate|export|list [PATH]`: check, print as JSON, or list course modules.

PATH is a module folder or a folder of modules; by default the bundled course (`course_dir`).
Problems are printed one per line, naming file and item, and the command exits with 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.course.loader import find_module_folders, read_course, read_module
from bot.course.models import Module
from bot.course.problems import Problem

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def run_course_command(action: str, path: str | Path | None = None) -> int:
    target = Path(path) if path else _default_course_dir()
    if action == "validate":
        return _validate(target)
    if action == "export":
        return _export(target)
    if action == "list":
        return _list(target)
    print(f"unknown course action {action!r}: use validate, export or list", file=sys.stderr)
    return EXIT_USAGE


def summary(module: Module) -> str:
    """ "module-02-technical-roles (4 lessons, 27 questions)"."""
    return f"{module.id} ({_counts(module)})"


def _counts(module: Module) -> str:
    lessons = len(module.lessons)
    questions = sum(len(lesson.quiz.questions) for lesson in module.lessons) + len(module.test.questions)
    return f"{_plural(lessons, 'lesson')}, {_plural(questions, 'question')}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def export_data(module: Module) -> dict[str, object]:
    """The module as JSON-ready data: the model's own dump, which includes section bodies and pass_mark."""
    return module.model_dump(mode="json")


def _default_course_dir() -> Path:
    from bot.settings import Settings  # only when no path is given: reads .env

    return Settings().course_dir


def _validate(target: Path) -> int:
    reading = read_course(target)
    for module in reading.modules:
        print(f"OK: {summary(module)}")
    if reading.problems:
        _print_problems(reading.problems)
        return EXIT_PROBLEMS
    return EXIT_OK


def _export(target: Path) -> int:
    reading = read_course(target)
    if reading.problems:
        _print_problems(reading.problems, stream=sys.stderr)
        return EXIT_PROBLEMS
    if len(reading.modules) != 1:
        names = ", ".join(module.id for module in reading.modules)
        print(
            f"{target} holds several modules ({names}): give the folder of the one to export", file=sys.stderr
        )
        return EXIT_USAGE
    print(json.dumps(export_data(reading.modules[0]), ensure_ascii=False, indent=2))
    return EXIT_OK


def _list(target: Path) -> int:
    folders, problems = find_module_folders(target)
    base = target.resolve().parent if folders == [target] else target
    invalid = 0
    for folder in folders:
        module, found = read_module(folder, base)
        shown = folder.resolve().relative_to(base.resolve()).as_posix()
        if module is not None:
            print(f"{module.id}  {module.title}  ({_counts(module)})  {shown}/")
        else:
            invalid += 1
            print(
                f"{shown}/  INVALID: {_plural(len(found), 'problem')} (see `tutorbot course validate {folder}`)"
            )
    if problems:  # the path itself, or folders that are not modules
        _print_problems(problems)
    return EXIT_PROBLEMS if problems or invalid else EXIT_OK


def _print_problems(problems: Sequence[Problem], stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    for problem in problems:
        print(f"  {problem}", file=out)
    print(f"FAILED: {_plural(len(problems), 'problem')}", file=out)
