"""Fixtures for the course tests: the bundled Module 2, the published source, and a scratch sample module."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.course.loader import load_module
from bot.course.models import Module

from .course_source import SourceModule, read_source
from .helpers import MODULE_02, SAMPLE, copy_module


@pytest.fixture(scope="session")
def module02() -> Module:
    return load_module(MODULE_02)


@pytest.fixture(scope="session")
def source() -> SourceModule:
    return read_source()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A writable copy of the sample module, for tests that break it."""
    return copy_module(SAMPLE, tmp_path)
