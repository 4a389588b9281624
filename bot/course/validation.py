"""Validating a course folder: every problem, each naming its file and item, and never a traceback."""

from __future__ import annotations

from pathlib import Path

from bot.course.loader import read_course
from bot.course.problems import Problem


def validate_course(path: str | Path) -> list[Problem]:
    """Check a module folder or a folder of modules. An empty list means it is sound."""
    return list(read_course(path).problems)
