"""Validating a file's data against a course model, with pydantic errors turned into `Problem`s."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.course.locate import locate
from bot.course.problems import Problem

M = TypeVar("M", bound=BaseModel)

_ID_RULE = "use lowercase letters, digits and dashes, starting with a letter or digit, at most 48 characters"


def parse(model: type[M], data: dict[str, Any], file: str, root: str) -> tuple[M | None, list[Problem]]:
    """Build `model` from `data`; on failure return every error as a problem naming file and item."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            item, field = locate(data, error["loc"], root)
            problems.append(Problem(file, item, _message(error, field)))
        return None, problems


def _message(error: ErrorDetails, field: str) -> str:
    kind = error["type"]
    name = field or "text"  # no field: the value is itself a list element, e.g. a paragraph
    value = error.get("input")
    if kind == "missing":
        return f"{name} is missing"
    if kind == "string_too_short":
        return f"{name} is empty"
    if kind == "extra_forbidden":
        return f"unknown field {field!r} (a typo?)"
    if kind == "string_pattern_mismatch":
        return f"{name} {value!r} is not a valid id: {_ID_RULE}"
    if kind == "string_type":
        return f"{name} should be text, not {_describe(value)} (quote it if YAML read it as something else)"
    if kind in ("tuple_type", "list_type"):
        return f"{name} should be a list, not {_describe(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{name} should be a group of fields (`key: value`), not {_describe(value)}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, str):
        return "text"
    return type(value).__name__
