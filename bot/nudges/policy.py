"""A cohort's nudge settings, as `/cohort policy NAME KEY VALUE` sets them.

The defaults: a nudge after 3 days without activity, at most 3 in a row without a reply (then
the learner is left alone), none between 21:00 and 08:00 in the learner's time zone, weekends
allowed. Each `parse_*` reads what a facilitator types and raises `ValueError` saying what it
expects.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

_DURATION = re.compile(r"^(\d{1,6})\s*(m|h|d)$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_HOURS = re.compile(r"^(\d{1,2})\s*-\s*(\d{1,2})$")


class QuietHours(BaseModel):
    """From `start` o'clock to `end` o'clock local time; `21-8` wraps past midnight."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0, le=23)
    end: int = Field(ge=0, le=23)

    def covers(self, hour: int) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


class NudgePolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    nudge_after_s: int = Field(default=3 * 86400, ge=60)
    max_nudges: int = Field(default=3, ge=0, le=20)
    quiet_hours: QuietHours | None = QuietHours(start=21, end=8)
    weekends: bool = True
    """Whether nudges may go out on Saturday and Sunday (in the learner's time zone)."""
    timezone: str = "UTC"
    """The cohort's zone, for learners whose platform tells none (Discord)."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return parse_timezone(value)

    def zone(self, learner_tz: str | None = None) -> ZoneInfo:
        """The learner's own zone when the platform gave a valid one, else the cohort's."""
        if learner_tz:
            try:
                return ZoneInfo(learner_tz)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return ZoneInfo(self.timezone)


def parse_duration(text: str) -> int:
    """`3d`, `12h`, `30m` -> seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise ValueError("a duration such as `3d`, `12h` or `30m`")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def show_duration(seconds: int) -> str:
    for unit in ("d", "h"):
        if seconds % _SECONDS[unit] == 0:
            return f"{seconds // _SECONDS[unit]}{unit}"
    return f"{seconds // 60}m"


def parse_quiet_hours(text: str) -> QuietHours | None:
    """`21-8` (hours, local time) or `off`."""
    word = text.strip().lower()
    if word == "off":
        return None
    match = _HOURS.fullmatch(word)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 23:
        raise ValueError("hours such as `21-8` (from 21:00 to 08:00), or `off`")
    return QuietHours(start=int(match.group(1)), end=int(match.group(2)))


def parse_timezone(text: str) -> str:
    """An IANA zone name such as `Europe/Berlin` or `UTC`."""
    name = text.strip()
    if name not in available_timezones() and name != "UTC":
        raise ValueError("an IANA time zone such as `Europe/Berlin`, `America/New_York` or `UTC`")
    return name
