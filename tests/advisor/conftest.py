"""Fixtures for advisor tests: two small lessons (see `lessons.py`), actors, and the fake API.

The fake Messages API (`anthropic_server`) and the test key (`api_key`) are shared fixtures in
`tests/conftest.py`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.advisor.base import AdvisorRequest, Turn
from bot.course.models import Lesson
from bot.domain.events import Actor
from tests.advisor.lessons import data_scientist_lesson, ml_engineer_lesson


@pytest.fixture(scope="session")
def lesson() -> Lesson:
    return ml_engineer_lesson()


@pytest.fixture(scope="session")
def other_lesson() -> Lesson:
    return data_scientist_lesson()


@pytest.fixture
def actor() -> Actor:
    return Actor(platform="slack", tenant="T100", user="U1")


@pytest.fixture
def make_request(lesson: Lesson, actor: Actor) -> Callable[..., AdvisorRequest]:
    """`make_request("message", history=[("learner", "..."), ...], counted=..., ...)`."""

    def make(
        message: str,
        *,
        history: list[tuple[str, str]] | None = None,
        counted: bool = True,
        completes_lab: bool = False,
        on: Lesson | None = None,
        by: Actor | None = None,
        turn: int | None = None,
        lab_done: bool = False,
        raised: tuple[str, ...] = (),
        pieces: tuple[str, ...] = (),
    ) -> AdvisorRequest:
        chosen = on or lesson
        return AdvisorRequest(
            actor=by or actor,
            lesson=chosen,
            lab=chosen.lab,
            history=tuple(Turn(role=role, text=text) for role, text in (history or [])),  # type: ignore[arg-type]
            message=message,
            counted=counted,
            completes_lab=completes_lab,
            turn=turn,
            lab_done=lab_done,
            raised=raised,
            pieces=pieces,
        )

    return make
