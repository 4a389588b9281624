"""Per-learner orders of options and questions, derived from a seed instead of stored.

The seed is stable across processes (not Python's randomised `hash`), so every engine
instance shows a learner the same order, and a retake (a new attempt number) reshuffles.
Orders are cached: a learner sees the same question's order several times in a row.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

from bot.engine.events import Actor

T = TypeVar("T")


@lru_cache(maxsize=65_536)
def _permutation(seed: str, size: int) -> tuple[int, ...]:
    digest = hashlib.blake2b(seed.encode(), digest_size=8).digest()
    order = list(range(size))
    random.Random(int.from_bytes(digest, "big")).shuffle(order)
    return tuple(order)


def shuffled(items: Sequence[T], actor: Actor, *salt: object) -> list[T]:
    order = _permutation(f"{actor}|{'|'.join(map(str, salt))}", len(items))
    return [items[i] for i in order]
