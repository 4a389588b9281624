"""The JSON export has the documented shape and reads back into the same module."""

from __future__ import annotations

import json

import pytest

from bot.course.cli import export_data
from bot.course.loader import load_module
from bot.course.models import Module

from .helpers import MODULE_02, SAMPLE

QUESTION_KEYS = {"id", "stem", "options", "feedback"}


@pytest.mark.parametrize("folder", [MODULE_02, SAMPLE], ids=lambda p: p.name)
def test_export_round_trips_through_the_models(folder) -> None:  # type: ignore[no-untyped-def]
    module = load_module(folder)
    text = json.dumps(export_data(module), ensure_ascii=False)
    assert Module.model_validate(json.loads(text)) == module
    assert Module.model_validate_json(text) == module


def test_export_shape(module02: Module) -> None:
    data = export_data(module02)
    assert {"id", "title", "pass_mark", "lessons", "test"} <= set(data)
    assert data["pass_mark"] == 0.8
    lesson = data["lessons"][0]
    assert {"id", "number", "title", "subtitle", "hook", "sections", "key_terms", "quiz", "lab"} <= set(
        lesson
    )
    assert {"heading", "body"} <= set(lesson["sections"][0])
    assert lesson["sections"][0]["heading"] is None
    assert lesson["sections"][1]["body"].startswith("Machine Learning Engineers sit at the intersection")
    assert "\n\nIn practice the role involves" in lesson["sections"][1]["body"]
    assert lesson["key_terms"][0] == {
        "term": "Model Drift",
        "definition": lesson["key_terms"][0]["definition"],
    }
    assert {"id", "title", "questions"} <= set(lesson["quiz"])
    assert {"id", "title", "task", "openers", "advisor", "greeting", "exchanges_required"} <= set(
        lesson["lab"]
    )
    assert lesson["lab"]["exchanges_required"] == 3
    assert {"id", "title", "pass_mark", "questions"} <= set(data["test"])
    for question in [*lesson["quiz"]["questions"], *data["test"]["questions"]]:
        assert set(question) >= QUESTION_KEYS
        assert set(question["feedback"]) == {"correct", "incorrect"}
        for option in question["options"]:
            assert set(option) == {"id", "text", "correct", "why"}
            # Every distractor carries its rationale; the correct option has none.
            assert bool(option["why"]) is not option["correct"]
            assert isinstance(option["correct"], bool)
    assert len(data["test"]["questions"]) == 15
