"""Durations as facilitators type them (`30m`, `12h`, `3d`), read and shown the one way every
setting that takes a duration uses."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(\d{1,6})\s*(m|min|mins|minutes?|h|hours?|d|days?)?$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400}
EXPECTED = "a duration such as `3d`, `12h` or `30m`"


def parse_duration(text: str, *, bare_minutes: bool = False) -> int:
    """`3d`, `12h`, `30m` (or `2 hours`) -> seconds; with `bare_minutes` a plain number is
    minutes. Raises `ValueError` saying what it takes."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or (match.group(2) is None and not bare_minutes):
        raise ValueError(EXPECTED + (", or a number of minutes" if bare_minutes else ""))
    return int(match.group(1)) * _SECONDS[(match.group(2) or "m")[0]]


def show_duration(seconds: int) -> str:
    """The shortest of `Nd`, `Nh`, `Nm` that is exact (`0m` for nothing)."""
    for unit in ("d", "h"):
        if seconds and seconds % _SECONDS[unit] == 0:
            return f"{seconds // _SECONDS[unit]}{unit}"
    return f"{seconds // 60}m"
