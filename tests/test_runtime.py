"""The runtime leaves the process's garbage collector alone unless the process serves until it exits."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime import open_runtime
from bot.settings import Settings

COURSE = Path(__file__).resolve().parents[1] / "course_data"


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def settings(redis_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        course_dir=COURSE,
        anthropic_api_key=None,
    )


async def test_opening_runtimes_again_and_again_freezes_nothing(redis_url: str, unfrozen: None) -> None:
    for _ in range(3):
        async with open_runtime(settings(redis_url)):
            pass
    assert gc.get_freeze_count() == 0, "a test or simulation run would keep its garbage forever"


async def test_a_long_lived_process_freezes_what_it_has_built(redis_url: str, unfrozen: None) -> None:
    async with open_runtime(settings(redis_url), long_lived=True):
        assert gc.get_freeze_count() > 0
