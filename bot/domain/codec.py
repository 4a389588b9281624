"""Reading and writing the state record, with migration of older schema versions.

A record that cannot be read (corrupt bytes, an unknown future version) raises
`UnreadableState`; the engine then moves it aside and starts the learner afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

from pydantic import ValidationError

from bot.domain.state import SCHEMA_VERSION, CohortTerms, LearnerState, Progress, ResetBackup


class UnreadableState(Exception):
    pass


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    # v1 called finished lessons `lessons_read` and kept no count of begun test attempts.
    progress = raw.setdefault("progress", {})
    if not isinstance(progress, dict):
        raise UnreadableState(f"v1 progress is a {type(progress).__name__}, not an object")
    attempts = progress.get("test_attempts", [])
    if not isinstance(attempts, list):
        raise UnreadableState(f"v1 test_attempts is a {type(attempts).__name__}, not a list")
    progress["lessons_done"] = progress.pop("lessons_read", [])
    progress.setdefault("test_started", len(attempts))
    raw["v"] = 2
    return raw


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}
"""Version N → the function that turns an N record into an N+1 record."""


def encode(state: LearnerState) -> bytes:
    return _SERIALIZER.to_json(state)


_SERIALIZER = LearnerState.__pydantic_serializer__
_PROGRESS = Progress.__pydantic_serializer__
_HEAD = {"v", "module_id"}
_TAIL = {"started_at", "undo", "awaiting_start", "terms"}
_FIELDS = ("v", "module_id", "token", "step", "progress", "started_at", "undo", "awaiting_start", "terms")
if tuple(LearnerState.model_fields) != _FIELDS:
    # `StateEncoder` writes the record field by field: a field it did not know would be lost.
    raise RuntimeError(f"StateEncoder writes {_FIELDS}, LearnerState has {tuple(LearnerState.model_fields)}")


class _Written:
    """What an encoder last wrote for one learner: the progress and its JSON, and the JSON of
    the fields that seldom change (before and after the token and step)."""

    __slots__ = (
        "progress",
        "progress_json",
        "v",
        "module_id",
        "started_at",
        "undo",
        "awaiting",
        "terms",
        "head",
        "tail",
    )
    v: int
    module_id: str
    started_at: float
    undo: ResetBackup | None
    awaiting: bool
    terms: CohortTerms | None
    head: bytes
    tail: bytes

    def __init__(self, state: LearnerState, before: _Written | None = None) -> None:
        self.progress = state.progress
        self.progress_json = _PROGRESS.to_json(state.progress)
        if before is not None and before.frames(state):
            # Only the progress changed (an answer, a lesson done): the rest is written as before.
            self.v, self.module_id, self.started_at = before.v, before.module_id, before.started_at
            self.undo, self.awaiting, self.terms = before.undo, before.awaiting, before.terms
            self.head, self.tail = before.head, before.tail
        else:
            self.frame(state)

    def frame(self, state: LearnerState) -> None:
        self.v, self.module_id, self.started_at = state.v, state.module_id, state.started_at
        self.undo, self.awaiting, self.terms = state.undo, state.awaiting_start, state.terms
        self.head = _SERIALIZER.to_json(state, include=_HEAD)[:-1] + b","
        self.tail = _SERIALIZER.to_json(state, include=_TAIL)[1:-1] + b","

    def frames(self, state: LearnerState) -> bool:
        return (
            state.undo is self.undo
            and state.terms is self.terms
            and state.module_id == self.module_id
            and state.started_at == self.started_at
            and state.awaiting_start == self.awaiting
            and state.v == self.v
        )


class StateEncoder:
    """`encode` for an engine, remembering for each of the last `size` learners it wrote for
    what it wrote last. A transition shares every part of a state it does not replace (see
    `state.py`) and most events change only the step and its token, so the progress (the bulk
    of the record) is usually the very object written before for that learner, and the other
    fields the same values: their JSON is reused and only the token and the step are
    serialised. Parts of a state are never changed in place, so the same object always has the
    same JSON.

    One entry per learner, replaced when their progress changes: a progress left behind is
    freed with the state that held it, instead of being kept (and walked by the collector)
    until the oldest entries are dropped.

    The record is the same JSON as `encode` writes, with `progress` last."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._written: dict[Hashable, _Written] = {}

    def __call__(self, state: LearnerState, learner: Hashable) -> bytes:
        known = self._written.get(learner)
        if known is None or known.progress is not state.progress:
            # Learners whose progress changed last are kept longest.
            self._written.pop(learner, None)
            known = self._written[learner] = _Written(state, known)
            if len(self._written) > self.size:
                del self._written[next(iter(self._written))]
        elif not known.frames(state):
            known.frame(state)
        step = state.step
        return b'%s"token":%d,"step":%s,%s"progress":%s}' % (
            known.head,
            state.token,
            step.__pydantic_serializer__.to_json(step),
            known.tail,
            known.progress_json,
        )


_CURRENT = b'{"v":%d,' % SCHEMA_VERSION


def decode(data: bytes) -> LearnerState:
    if data.startswith(_CURRENT):
        # What `encode` writes (`v` comes first): parsed and validated in one pass, no migration.
        try:
            return LearnerState.model_validate_json(data)
        except ValidationError as exc:
            raise UnreadableState(f"invalid record: {exc.error_count()} errors") from None
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableState(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise UnreadableState("not a JSON object")
    version = raw.get("v", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise UnreadableState(f"unknown schema version {version!r}")
    while version < SCHEMA_VERSION:
        try:
            raw = MIGRATIONS[version](raw)
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            # A migration trusts the shape of the version it reads; a record that lies about
            # its version is unreadable, not a crash on every event.
            raise UnreadableState(f"cannot migrate a v{version} record: {type(exc).__name__}") from None
        version = raw["v"]
    try:
        return LearnerState.model_validate(raw)
    except ValidationError as exc:
        raise UnreadableState(f"invalid record: {exc.error_count()} errors") from None
