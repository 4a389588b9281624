"""When a nudge may go out: the first moment at or after the due time that is outside quiet
hours and, with weekends off, not on a Saturday or Sunday, in the learner's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.nudges.policy import NudgePolicy


def allowed_at(due: float, zone: ZoneInfo, policy: NudgePolicy) -> float:
    """`due` itself when it is allowed, else the start of the next allowed stretch."""
    local = datetime.fromtimestamp(due, zone)
    moved = False
    for _ in range(16):  # a quiet stretch and a weekend need a few steps at most
        if not policy.weekends and local.weekday() >= 5:
            local = _at_hour(local.date() + timedelta(days=7 - local.weekday()), 0, zone)
            moved = True
            continue
        quiet = policy.quiet_hours
        if quiet is not None and quiet.covers(local.hour):
            day = local.date() if local.hour < quiet.end else local.date() + timedelta(days=1)
            local = _at_hour(day, quiet.end, zone)
            moved = True
            continue
        # `due` itself when allowed: the datetime round trip keeps only microseconds, and a
        # moment a hair later than `due` would have a sender wait for nothing.
        return max(due, local.timestamp()) if moved else due
    raise ValueError(f"no allowed moment near {due} for {policy}")  # a policy the model refuses


def _at_hour(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)
