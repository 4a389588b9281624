"""A cohort's nudges: who is due one and when, from the roster, and the jobs that send them.

The plan is made again and again (each job id names the learner, the stretch and the nudge's
number), so planning twice schedules nothing twice, and a stretch ended by activity simply
leaves its job to find the learner active and send nothing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.policy import nudge_policy
from bot.cohorts.roster import learner_actor, read_roster
from bot.cohorts.store import CohortStore
from bot.course.models import Module
from bot.nudges.draft import nudge_text
from bot.nudges.plan import NudgeStanding, PlannedNudge, next_nudge
from bot.nudges.record import NudgeRecords
from bot.scheduler.job import Job
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore

NUDGE = "nudge"


class CohortNudge(BaseModel):
    model_config = ConfigDict(frozen=True)

    user: str
    name: str
    plan: PlannedNudge
    stretch: float
    text: str

    def job(self, tenant: Tenant, cohort: str) -> Job:
        return Job(
            id=self.plan.job_id,
            kind=NUDGE,
            run_at=self.plan.at,
            data={
                "platform": tenant.platform,
                "tenant": tenant.tenant,
                "user": self.user,
                "cohort": cohort,
                "stretch": repr(self.stretch),
                "number": str(self.plan.number),
                "text": self.text,
            },
        )


async def plan_cohort(
    cohorts: CohortStore,
    learners: RedisLearnerStore,
    records: NudgeRecords,
    module: Module,
    tenant: Tenant,
    cohort: Cohort,
    now: float,
    zones: dict[str, str] | None = None,
) -> list[CohortNudge]:
    """Every learner's next nudge under the cohort's own policy, soonest first; `zones` maps
    user ids to their own time zone."""
    policy = nudge_policy(cohort.settings)
    entries = await cohorts.roster(tenant, cohort.name)
    lines = await read_roster(learners, module, tenant, entries, None, now)
    actors = [learner_actor(tenant, entry.user) for entry in entries]
    found = await records.read(actors)
    out: list[CohortNudge] = []
    for line, actor, record in zip(lines, actors, found, strict=True):
        stretch = line.last_active if line.last_active is not None else line.entry.enrolled_at
        standing = NudgeStanding(
            actor=actor,
            last_active=stretch,
            nudges_sent=record.sent_in(stretch),
            paused=record.paused(stretch),
            finished=line.passed,
            tz=(zones or {}).get(actor.user),
        )
        plan = next_nudge(standing, policy)
        if plan is not None:
            current = line.row.current if line.started else ""
            text = nudge_text(current, plan.number)
            out.append(
                CohortNudge(user=actor.user, name=line.entry.name, plan=plan, stretch=stretch, text=text)
            )
    return sorted(out, key=lambda nudge: nudge.plan.at)


async def schedule_nudges(jobs: JobStore, tenant: Tenant, cohort: str, nudges: list[CohortNudge]) -> int:
    """Schedules each planned nudge once; returns how many were new."""
    added = 0
    for nudge in nudges:
        added += await jobs.schedule(nudge.job(tenant, cohort))
    return added
