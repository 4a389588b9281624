"""Where the scheduler reads the time, so tests can move it by hand."""

from __future__ import annotations

import time
from typing import Protocol

from bot import cancellation


class Clock(Protocol):
    def now(self) -> float:
        """Unix time in seconds."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await cancellation.sleep(seconds)


class ManualClock:
    """A clock that moves only when told; `sleep` yields to other tasks but waits no time."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a manual clock only moves forward")
        self._now += seconds

    def set(self, unix_s: float) -> None:
        self._now = unix_s

    async def sleep(self, seconds: float) -> None:
        await cancellation.sleep(0)
