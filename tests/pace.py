"""A clock for throttled draft streams (`bot.adapters.drafts.Pace`) that moves only when a test
says, and a way to see when the stream has done what the time allows.

With it, a test of "at most one edit per interval" counts edits per simulated interval instead
of racing the wall clock of a busy machine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class SteppedPace:
    def __init__(self) -> None:
        self._now = 0.0
        self._moved = asyncio.Condition()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        until = self._now + seconds
        async with self._moved:
            await self._moved.wait_for(lambda: self._now >= until)

    async def advance(self, seconds: float) -> None:
        """Move on `seconds`, and let every task woken by it run until it waits again."""
        self._now += seconds
        async with self._moved:
            self._moved.notify_all()
        await settle()


async def settle(rounds: int = 20) -> None:
    """Let ready tasks run (a woken sleeper, the stream it wakes, the call it starts)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class Timed:
    """Wraps an async call (a platform's `edit`), noting the pace's time as each starts, and how
    many are under way, so a test waits for them without guessing how long they take."""

    def __init__(self, pace: SteppedPace, call: Callable[..., Awaitable[Any]]) -> None:
        self.pace = pace
        self.call = call
        self.started: list[float] = []
        self.running = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.started.append(self.pace.now())
        self.running += 1
        try:
            return await self.call(*args, **kwargs)
        finally:
            self.running -= 1

    async def idle(self, timeout: float = 10) -> None:
        """Until no call is under way (fails the test after `timeout` real seconds)."""
        async with asyncio.timeout(timeout):
            while self.running:
                await asyncio.sleep(0.005)
        await settle()
