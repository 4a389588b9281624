"""The names a facilitator types for a unit: `L2` (lesson 2), `quiz2`, `lab2`, `test`, `all`,
or a unit id from the course files. Case does not matter."""

from __future__ import annotations

import re

from bot.course.models import Module
from bot.domain.facilitation import ALL_UNITS

_NUMBERED = re.compile(r"^(l|lesson|q|quiz|lab)-?(\d{1,3})$")


def resolve_unit(module: Module, typed: str) -> str | None:
    """The unit id (or `all`) a typed name means, or None when it means none."""
    word = typed.strip().lower()
    if word == ALL_UNITS:
        return ALL_UNITS
    if word in ("test", "module-test", "exam"):
        return module.test.id
    if module.unit(typed.strip()) is not None:
        return typed.strip()
    match = _NUMBERED.fullmatch(word)
    if not match:
        return None
    kind, number = match.group(1), int(match.group(2))
    lesson = next((lesson for lesson in module.lessons if lesson.number == number), None)
    if lesson is None:
        return None
    if kind in ("l", "lesson"):
        return lesson.id
    return lesson.quiz.id if kind in ("q", "quiz") else lesson.lab.id


def looks_like_unit(typed: str) -> bool:
    """Whether a word reads as a unit name (`L2`, `quiz2`, `test`, `all`) rather than a cohort's."""
    word = typed.strip().lower()
    return word in (ALL_UNITS, "test", "module-test", "exam") or bool(_NUMBERED.fullmatch(word))
