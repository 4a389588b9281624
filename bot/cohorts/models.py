"""What a cohort is: a named group of learners of one tenant, its facilitators and settings."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.domain.events import IdPart, Platform
from bot.domain.release import Release
from bot.nudges.policy import DEFAULT_QUIET, MaxNudges, NudgeAfter, QuietHours, ZoneName

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
RESERVED_NAMES = frozenset(
    {
        "add",
        "all",
        "remove",
        "help",
        "list",
        "create",
        "enrol",
        "enroll",
        "facilitator",
        "progress",
        "learner",
        "unlock",
        "attempts",
        "reset",
        "undo",
        "export",
        "audit",
        "next",
        "page",
        "policy",
        "open",
        "channel",
    }
)
"""Words a cohort may not be called: commands may leave the cohort's name out, so a name
that is also a command word would be read as the word."""


def _cohort_name(value: str) -> str:
    name = value.lower()
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError("a cohort name is 1–32 letters, digits, '-' or '_', starting with a letter or digit")
    if name in RESERVED_NAMES:
        raise ValueError(f"{name!r} is a command word, so it cannot name a cohort")
    return name


CohortName = Annotated[str, AfterValidator(_cohort_name)]


class Tenant(BaseModel):
    """A Slack workspace or Discord server: the boundary no facilitator crosses."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    tenant: IdPart

    def __str__(self) -> str:
        return f"{self.platform}:{self.tenant}"


class CohortSettings(BaseModel):
    """The cohort's course settings, copied from the module when it is created."""

    test_attempts: int = Field(ge=1)
    cooldown_minutes: int = Field(ge=0)
    test_open_early: bool = False
    """Whether the module test is open before every quiz and lab is done."""
    start_date: date | None = None
    release: Release | None = None
    """When lessons open (None: as the course allows, with no dates)."""

    @model_validator(mode="after")
    def _release_fits_start(self) -> CohortSettings:
        release = self.release
        if release is None:
            return self
        if release.every_days is not None and self.start_date is None:
            raise ValueError(
                "`release every …` counts days from `start-date`: set `start-date` first, or `release off`"
            )
        if self.start_date is not None and release.dates and release.dates[0] <= self.start_date:
            raise ValueError(
                f"the first release date (lesson 2) must come after `start-date` {self.start_date}"
            )
        return self

    pass_role: str | None = None
    """Discord: the role (id) granted to a learner who passes the module test."""
    nudge_after_s: NudgeAfter = 3 * 86400
    """Nudge a learner after this long without activity (and again after each further stretch)."""
    max_nudges: MaxNudges = 3
    """Nudges in a row without a reply before the learner is left alone until active again."""
    quiet_hours: QuietHours | None = DEFAULT_QUIET
    weekends: bool = True
    """Whether nudges may go out on Saturdays and Sundays."""
    timezone: ZoneName = "UTC"
    """The cohort's zone: quiet hours and weekends for learners whose platform tells none."""


class Cohort(BaseModel):
    name: CohortName
    created_by: str
    created_at: float
    settings: CohortSettings
    facilitator_role: str | None = None
    """Discord: members holding this role facilitate the cohort."""
    opened_through: int = 0
    """Lessons up to this number a facilitator opened for the whole cohort ahead of the schedule."""
    set_by: dict[str, str] = Field(default_factory=dict)
    """Policy key → the facilitator who last set it (told when a setting cannot work)."""
    channel: str | None = None
    """The cohort's channel (`/cohort channel`): shout-outs a learner opts into go there; on
    Discord, learners whose DMs are closed continue in private threads there."""


class RosterEntry(BaseModel):
    """One learner on a cohort's roster."""

    user: str
    name: str = ""
    """Display name when the platform told us one; ids stand in otherwise."""
    enrolled_at: float
    enrolled_by: str


class AuditEntry(BaseModel):
    """One facilitator action: who, when, what, why."""

    at: float
    by: str
    action: str
    """The subcommand word (`unlock`, `reset`, …)."""
    learner: str = ""
    detail: str = ""
    reason: str = ""
