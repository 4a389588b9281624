"""Reading and writing the state record, with migration of older schema versions.

A record that cannot be read (corrupt bytes, an unknown future version) raises
`UnreadableState`; the engine then moves it aside and starts the learner afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

from pydantic import ValidationError

from bot.domain.state import SCHEMA_VERSION, LearnerState, Progress


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
_BUT_PROGRESS = {"progress"}


class StateEncoder:
    """`encode` for an engine, remembering for each of the last `size` learners it wrote for the
    progress it wrote last and its JSON. A transition shares every part of a state it does not
    replace (see `state.py`) and most events change only the step, so the progress, the bulk of
    the record, is usually the very object written before for that learner: its JSON is reused
    and only the rest is serialised. Parts of a state are never changed in place, so the same
    object always has the same JSON.

    One entry per learner, replaced when their progress changes: a progress left behind is
    freed with the state that held it, instead of being kept (and walked by the collector)
    until the oldest entries are dropped.

    The record is the same JSON as `encode` writes, with `progress` last."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._progress: dict[Hashable, tuple[Progress, bytes]] = {}

    def __call__(self, state: LearnerState, learner: Hashable) -> bytes:
        progress = state.progress
        known = self._progress.get(learner)
        if known is None or known[0] is not progress:
            known = (progress, _PROGRESS.to_json(progress))
            # Learners whose progress changed last are kept longest.
            self._progress.pop(learner, None)
            self._progress[learner] = known
            if len(self._progress) > self.size:
                del self._progress[next(iter(self._progress))]
        rest = _SERIALIZER.to_json(state, exclude=_BUT_PROGRESS)
        return b'%s,"progress":%s}' % (rest[:-1], known[1])


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
