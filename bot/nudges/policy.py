"""A cohort's nudge settings, as `/cohort policy NAME KEY VALUE` sets them.

The defaults: a nudge after 3 days without activity, at most 3 in a row without a reply (then
the learner is left alone), none between 21:00 and 08:00 in the learner's time zone, weekends
allowed. Each `parse_*` reads what a facilitator types and raises `ValueError` saying what it
expects (durations are read by `bot.domain.durations`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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


def parse_quiet_hours(text: str) -> QuietHours | None:
    """`21-8` (hours, local time) or `off`."""
    word = text.strip().lower()
    if word == "off":
        return None
    match = _HOURS.fullmatch(word)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 23:
        raise ValueError("hours such as `21-8` (from 21:00 to 08:00), or `off`")
    return QuietHours(start=int(match.group(1)), end=int(match.group(2)))


def show_quiet_hours(value: object) -> str:
    return str(value) if isinstance(value, QuietHours) else "off"


_zones = cache(available_timezones)  # reads the zone database once, not per policy built


def parse_timezone(text: str) -> str:
    """An IANA zone name such as `Europe/Berlin` or `UTC`."""
    name = text.strip()
    if name not in _zones() and name != "UTC":
        raise ValueError("an IANA time zone such as `Europe/Berlin`, `America/New_York` or `UTC`")
    return name


def _at_least_a_minute(seconds: int) -> int:
    if seconds < 60:
        raise ValueError("it must be at least 1 minute")
    return seconds


# The field types a cohort's settings share with the policy, so both check them alike.
NudgeAfter = Annotated[int, AfterValidator(_at_least_a_minute)]
MaxNudges = Annotated[int, Field(ge=0, le=20)]
ZoneName = Annotated[str, AfterValidator(parse_timezone)]
DEFAULT_QUIET = QuietHours(start=21, end=8)


class NudgePolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    nudge_after_s: NudgeAfter = 3 * 86400
    max_nudges: MaxNudges = 3
    quiet_hours: QuietHours | None = DEFAULT_QUIET
    weekends: bool = True
    """Whether nudges may go out on Saturday and Sunday (in the learner's time zone)."""
    timezone: ZoneName = "UTC"
    """The cohort's zone, for learners whose platform tells none (Discord)."""

    def zone(self, learner_tz: str | None = None) -> ZoneInfo:
        """The learner's own zone when the platform gave a valid one, else the cohort's."""
        if learner_tz:
            try:
                return ZoneInfo(learner_tz)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return ZoneInfo(self.timezone)
