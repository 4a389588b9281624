"""Reading and writing the state record, with migration of older schema versions.

A record that cannot be read (corrupt bytes, an unknown future version) raises
`UnreadableState`; the engine then moves it aside and starts the learner afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from bot.domain.state import SCHEMA_VERSION, LearnerState


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
