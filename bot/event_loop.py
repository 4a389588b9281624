"""How the bot's commands run their coroutines: on uvloop when it is installed (the optional
extra `pip install tutorbot[fast]`), else on asyncio's own loop. Both behave the same for the
bot; uvloop's scheduling and socket handling in C cost less CPU per event."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")

LoopChoice = Literal["auto", "asyncio", "uvloop"]


def uvloop_installed() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def loop_name(choice: LoopChoice = "auto") -> str:
    """The loop `run` uses for `choice`: "uvloop" or "asyncio"."""
    if choice == "auto":
        return "uvloop" if uvloop_installed() else "asyncio"
    return choice


def run(main: Coroutine[Any, Any, T], choice: LoopChoice = "auto") -> T:
    """`asyncio.run(main)`, on uvloop for "uvloop" (an ImportError when it is missing) and for
    "auto" when it is installed."""
    if loop_name(choice) == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main)
    return asyncio.run(main)


def running_loop_name() -> str:
    """The running loop's kind, for figures and logs."""
    return "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else "asyncio"
