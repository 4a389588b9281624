"""A wall clock that a test can move forward: days pass for the code under test at once."""

from __future__ import annotations

import time


class ShiftedClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def shift(self, seconds: float) -> None:
        self.offset += seconds
