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
    """A learner's state record as stored: its revision, the serialized state, and the id of
    the write that stored it.

    The revision alone cannot guard a commit: after Redis loses recent writes (a restored
    snapshot, a failover to a lagging replica) or a record is deleted and created again,
    revision numbers come round again, and a record cached at "rev 11" would match someone
    else's rev 11. The write id is random per write, so no rollback or re-creation repeats it.
    `wid` is empty for a record written before write ids existed.
    """

    rev: int
    data: bytes
    wid: str = ""


@dataclass(frozen=True)
class CommitResult:
    """`ok` when the write landed: `current` is then the record just written.

    On a conflict `ok` is False and `current` holds the record that won (None when there is
    none), so the caller can re-apply its event without another round trip.
    `transcript` holds the last `read_transcript` transcript entries after the write.
    """

    ok: bool
    current: Stored | None = None
    transcript: list[bytes] = field(default_factory=list)


class StoreUnavailable(Exception):
    """The database did not answer (down, unreachable, or too slow): nothing can be read or
    written for now, though nothing stored is lost."""


class CommitUncertain(StoreUnavailable):
    """Redis did not answer a commit (timeout, dropped connection) even when asked again: the
    write may or may not have landed. Asking again is safe (a commit carries its write id, and a
    commit that finds its own write id stored reports success without writing twice)."""


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
        expected: Stored | None,
        data: bytes,
        *,
        log: Sequence[bytes] = (),
        lab_id: str | None = None,
        transcript: Sequence[bytes] = (),
        read_transcript: int = 0,
    ) -> CommitResult:
        """Atomically: if the stored record is still `expected` (same revision and write id;
        None = no record yet), store `data` at the next revision under a new write id, append
        `log` entries to the learner's capped event log and `transcript` entries to the capped
        transcript of lab `lab_id`, and return the last `read_transcript` transcript entries.
        Otherwise change nothing and return the current record. One round trip, unless Redis
        does not answer: then the same write is asked again, and `CommitUncertain` raised when
        it still cannot be known whether it landed."""

    @abstractmethod
    async def transcript(self, actor: Actor, lab_id: str, last: int) -> list[bytes]:
        """The last `last` entries of a lab transcript, oldest first."""

    @abstractmethod
    async def log(self, actor: Actor, last: int) -> list[bytes]:
        """The last `last` event-log entries, oldest first."""

    @abstractmethod
    async def quarantine(self, actor: Actor, reason: str, *, labs: Sequence[str] = ()) -> None:
        """Move the learner's keys aside (kept for inspection) so a fresh start begins from
        nothing: the state record, the event log, and the transcripts of `labs`."""

    @abstractmethod
    async def note_turn(self, actor: Actor, lease_until: float) -> None:
        """Record that the learner has a lab turn being answered, leased until `lease_until`."""

    @abstractmethod
    async def forget_turn(self, actor: Actor) -> None:
        """The learner's lab turn is answered (or was never open)."""

    @abstractmethod
    async def open_turns(self, leased_before: float | None = None) -> list[Actor]:
        """Learners with a noted lab turn whose lease ends before `leased_before` (all if None)."""
