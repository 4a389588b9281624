"""Per-learner orders of options and questions, derived from a seed instead of stored.

The seed is stable across processes (not Python's randomised `hash`), so every engine
instance shows a learner the same order, and a retake (a new attempt number) reshuffles.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar

from bot.engine.events import Actor

T = TypeVar("T")


def shuffled(items: Sequence[T], actor: Actor, *salt: object) -> list[T]:
    digest = hashlib.blake2b(f"{actor}|{'|'.join(map(str, salt))}".encode(), digest_size=8).digest()
    out = list(items)
    random.Random(int.from_bytes(digest, "big")).shuffle(out)
    return out
