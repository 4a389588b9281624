"""Fixtures for pure flow tests: course modules loaded from disk, no Redis, no engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.course.loader import load_module
from bot.course.models import Module

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def module() -> Module:
    """The bundled Module 2: 80% passes its 15-question test."""
    return load_module(REPO / "course_data" / "module-02-technical-roles")


@pytest.fixture(scope="session")
def sample() -> Module:
    """The small test module: 50% passes its 2-question test."""
    return load_module(REPO / "tests" / "fixtures" / "courses" / "module-99-sample")
