"""The learner store: one interface, one Redis implementation (`redis_store.py`).

The engine owns what the bytes mean; the store only guarantees that a commit is atomic and
guarded by the revision number, and that logs and transcripts stay capped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.events import Actor


@dataclass(frozen=True)
class Stored:
    """A learner's state record as stored: its revision and the serialized state."""

    rev: int
    data: bytes


@dataclass(frozen=True)
class CommitResult:
    """`ok` when the write landed (the record is now at `expected_rev + 1`).

    On a revision conflict `ok` is False and `current` holds the record that won, so the
    caller can re-apply its event without another round trip.
    `transcript` holds the last `read_transcript` transcript entries after the write.
    """

    ok: bool
    current: Stored | None = None
    transcript: list[bytes] = field(default_factory=list)


class CorruptRecord(Exception):
    """The stored record is unusable below the level of the state blob (wrong Redis type,
    missing or malformed revision). `load` and `commit` raise it; `quarantine` still works,
    so the caller can move the record aside and start afresh."""


class LearnerStore(ABC):
    @abstractmethod
    async def load(self, actor: Actor) -> Stored | None:
        """The learner's record, or None for a new learner. One round trip."""

    @abstractmethod
    async def commit(
        self,
        actor: Actor,
        expected_rev: int,
        data: bytes,
        *,
        log: Sequence[bytes] = (),
        lab_id: str | None = None,
        transcript: Sequence[bytes] = (),
        read_transcript: int = 0,
    ) -> CommitResult:
        """Atomically: if the stored revision equals `expected_rev` (0 = no record yet), store
        `data` at `expected_rev + 1`, append `log` entries to the learner's capped event log and
        `transcript` entries to the capped transcript of lab `lab_id`, and return the last
        `read_transcript` transcript entries. Otherwise change nothing and return the current
        record. One round trip."""

    @abstractmethod
    async def transcript(self, actor: Actor, lab_id: str, last: int) -> list[bytes]:
        """The last `last` entries of a lab transcript, oldest first."""

    @abstractmethod
    async def log(self, actor: Actor, last: int) -> list[bytes]:
        """The last `last` event-log entries, oldest first."""

    @abstractmethod
    async def quarantine(self, actor: Actor, reason: str) -> None:
        """Move the learner's record aside (kept for inspection) so a fresh one can start."""
