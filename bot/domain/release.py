"""Paced release: when each lesson of a cohort opens, the one place that says so.

A cohort's schedule (`Release`) is either every N days from its start date or one date per
lesson after the first. Lesson 1 is never held back; lesson k opens at midnight, in the
cohort's time zone, at the start of its day: `start-date + (k-1)·N days`, or the (k-1)-th date.
A lesson's quiz and lab follow it as ever (they open once it is read), and the module test
keeps its own rule. `moments` turns the schedule into unix times once, when the terms are
copied onto each learner's record; `opens_at` compares them with the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

ANNOUNCE_HOUR = 9
"""The release DM goes out at this hour of a lesson's opening day (its zone): nobody is
messaged at midnight, though the lesson is open from the start of the day."""

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Release(BaseModel):
    """`every_days` (from the cohort's start date) or `dates` (lessons 2, 3, … in order)."""

    model_config = ConfigDict(frozen=True)

    every_days: int | None = Field(default=None, ge=1, le=365)
    dates: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _one_form(self) -> Release:
        if (self.every_days is None) == (not self.dates):
            raise ValueError("a release schedule is either every N days or a list of dates")
        if any(later <= earlier for earlier, later in zip(self.dates, self.dates[1:], strict=False)):
            raise ValueError("release dates go forward, each after the one before")
        return self

    def days(self, start: date | None, lessons: int) -> tuple[date, ...]:
        """The opening day of lessons 2…`lessons` (fewer dates than lessons: the rest open
        with the last date)."""
        later = max(lessons - 1, 0)
        if self.every_days is not None:
            assert start is not None, "every N days counts from the start date"
            return tuple(start + timedelta(days=self.every_days * k) for k in range(1, later + 1))
        return tuple(self.dates[min(k, len(self.dates) - 1)] for k in range(later))

    def __str__(self) -> str:
        if self.every_days is not None:
            return f"every {self.every_days}d"
        return ",".join(day.isoformat() for day in self.dates)


def day_start(day: date, zone: str) -> float:
    return datetime.combine(day, time(0), ZoneInfo(zone)).timestamp()


def announce_at(day: date, zone: str) -> float:
    return datetime.combine(day, time(ANNOUNCE_HOUR), ZoneInfo(zone)).timestamp()


def moments(release: Release | None, start: date | None, lessons: int, zone: str) -> tuple[float, ...]:
    """When lessons 2…`lessons` open, as unix times; () when nothing is held back."""
    if release is None:
        return ()
    return tuple(day_start(day, zone) for day in release.days(start, lessons))


class ReleaseTerms(BaseModel):
    """A cohort's release schedule as its learners' records carry it."""

    model_config = ConfigDict(frozen=True)

    opens: tuple[float, ...] = ()
    """Unix times at which lessons 2, 3, … open (0 for one a facilitator opened early)."""
    zone: str = "UTC"
    """The cohort's time zone, for saying the date."""


def opens_at(
    release: ReleaseTerms | None, lesson_number: int, now: float, opened_through: int = 0
) -> float | None:
    """When lesson `lesson_number` opens, if it is still held back at `now`; None when it is
    released (or nothing is held back). `opened_through`: lessons up to this one a
    facilitator opened early for this learner."""
    if release is None or lesson_number <= max(1, opened_through):
        return None
    index = lesson_number - 2
    if index >= len(release.opens):
        return None
    at = release.opens[index]
    return at if at > now else None


def day_label(unix_s: float, zone: str) -> str:
    """`Mon 7 Dec`, in `zone` (English whatever the machine's locale)."""
    moment = datetime.fromtimestamp(unix_s, ZoneInfo(zone))
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]}"
