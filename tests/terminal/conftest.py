from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.terminal.tutor import Tutor


@pytest.fixture
def tutors(tmp_path: Path) -> Iterator[Callable[..., Tutor]]:
    """Start tutors on the test's data folder; any left running are killed at the end."""
    started: list[Tutor] = []

    def start(columns: int = 80, rows: int = 40, args: tuple[str, ...] = ()) -> Tutor:
        tutor = Tutor(tmp_path, columns, rows, args)
        started.append(tutor)
        return tutor

    yield start
    for tutor in started:
        tutor.close()
