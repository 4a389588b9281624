"""Whether and when a learner's next nudge is due, and the job id that makes it happen once.

An inactive stretch starts at the learner's last activity. The n-th nudge of a stretch is due
`n × nudge-after` after it, and never sooner than `nudge-after` after the one before (a clock
that jumped, or a nudge held back by quiet hours, does not bunch them), moved out of quiet
hours and weekends in the learner's zone (a learner whose platform has not told their zone yet
is planned at the bare due time: the sender asks and holds the nudge); after `max-nudges` in a row
without a reply the learner gets no more until they are active again. The job id names the
learner, the stretch and n, so however often the plan is made, each nudge is one job.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.domain.events import Actor
from bot.nudges.policy import NudgePolicy
from bot.nudges.timing import allowed_at


class NudgeStanding(BaseModel):
    """What the plan needs to know about one learner."""

    model_config = ConfigDict(frozen=True)

    actor: Actor
    last_active: float
    """Their last activity (or their enrolment, if they never started)."""
    nudges_sent: int = 0
    """Nudges sent since `last_active`."""
    last_nudge_at: float | None = None
    """When the last of them went out."""
    paused: bool = False
    finished: bool = False
    tz: str | None = None
    """Their own time zone, when the platform tells one (Slack `users.info` `tz`)."""
    zone_unknown: bool = False
    """Their platform tells zones but has not told theirs yet."""


class PlannedNudge(BaseModel):
    model_config = ConfigDict(frozen=True)

    job_id: str
    at: float
    number: int
    """1 for the first nudge of the stretch."""


def nudge_job_id(actor: Actor, stretch_start: float, number: int) -> str:
    return f"nudge:{actor}:{int(stretch_start)}:{number}"


def next_nudge(standing: NudgeStanding, policy: NudgePolicy) -> PlannedNudge | None:
    """The learner's next nudge, or None (paused, finished, or `max-nudges` reached)."""
    if standing.paused or standing.finished or standing.nudges_sent >= policy.max_nudges:
        return None
    number = standing.nudges_sent + 1
    due = standing.last_active + number * policy.nudge_after_s
    if standing.last_nudge_at is not None:
        due = max(due, standing.last_nudge_at + policy.nudge_after_s)
    return PlannedNudge(
        job_id=nudge_job_id(standing.actor, standing.last_active, number),
        at=due if standing.zone_unknown else allowed_at(due, policy.zone(standing.tz), policy),
        number=number,
    )
