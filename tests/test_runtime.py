"""The runtime leaves the process's garbage collector alone unless the process serves until it exits."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.collector import YOUNG_OBJECTS
from bot.runtime import open_runtime
from bot.settings import Settings

COURSE = Path(__file__).resolve().parents[1] / "course_data"


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def settings(redis_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        course_dir=COURSE,
        anthropic_api_key=None,
    )


async def test_opening_runtimes_again_and_again_freezes_nothing(redis_url: str, unfrozen: None) -> None:
    thresholds = gc.get_threshold()
    for _ in range(3):
        async with open_runtime(settings(redis_url)):
            pass
    assert gc.get_freeze_count() == 0, "a test or simulation run would keep its garbage forever"
    assert gc.get_threshold() == thresholds


async def test_a_long_lived_process_freezes_what_it_has_built(redis_url: str, unfrozen: None) -> None:
    gc.set_threshold(700, 10, 10)  # Python's own defaults
    async with open_runtime(settings(redis_url), long_lived=True):
        assert gc.get_freeze_count() > 0
        # and its youngest generation is collected less often than every 700 allocations
        assert gc.get_threshold()[0] == YOUNG_OBJECTS
