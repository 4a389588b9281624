"""Reading an inbound platform payload with its edge model (`models.py` of each platform)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], raw: object) -> Model | None:
    """`raw` as `model`, or None when it does not fit; the caller decides what to tell the learner."""
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None
