"""Every cohort's nudges: who is due one and when, from the roster, and the jobs that send them.

The plan is made again and again (each job id names the learner, the stretch and the nudge's
number), so planning twice schedules nothing twice, and a stretch ended by activity simply
leaves its job to find the learner active and send nothing.

The sweep (`nudge-sweep`) is a recurring scheduler job, one per `SWEEP_EVERY_S` for the whole
deployment (its id names the period): whichever process claims it plans every cohort of every
tenant on the round (`CohortStore.tenants`) under the cohort's own policy and hands the nudges
to the scheduler, as `nudge.slack` or `nudge.discord` jobs that only a process of that
platform runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.policy import nudge_policy
from bot.cohorts.roster import RosterLine, learner_actor, read_roster
from bot.cohorts.store import CohortStore
from bot.domain.events import Actor
from bot.flows.compiled import CompiledModule
from bot.flows.stopped import stopped_at
from bot.nudges.draft import nudge_text
from bot.nudges.plan import NudgeStanding, PlannedNudge, next_nudge
from bot.nudges.policy import NudgePolicy
from bot.nudges.record import NudgeRecord, NudgeRecords
from bot.nudges.zones import ZONED_PLATFORMS, ZoneCache, ZoneOf
from bot.scheduler.clock import Clock
from bot.scheduler.job import Job
from bot.scheduler.runner import Handler
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger("tutorbot.nudges")

SWEEP = "nudge-sweep"
SWEEP_EVERY_S = 600.0
"""How often the cohorts are planned: nudges are due in days, so ten minutes is prompt."""
RECURRING = {SWEEP: SWEEP_EVERY_S}


def nudge_kind(platform: str) -> str:
    """The job kind of a platform's nudges: only a process that can reach its learners runs them."""
    return f"nudge.{platform}"


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
            kind=nudge_kind(tenant.platform),
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


class CohortPlanner:
    """Plans a cohort's nudges (`plan`), in each learner's own zone where their platform tells
    one: read from the `ZoneCache`, and asked (`zone_of`, per platform) for a learner whose
    nudge is due now but whose zone is not known yet.

    A learner whose zone is still unknown (no `zone_of` here for their platform) is planned at
    the bare due time when `bare_when_unknown` (the jobs: the sender, in a process of their
    platform, asks the zone and holds the nudge to their allowed hours, so it is never late),
    else in the cohort's zone (a preview's best guess)."""

    def __init__(
        self,
        cohorts: CohortStore,
        learners: RedisLearnerStore,
        records: NudgeRecords,
        course: CompiledModule,
        zones: ZoneCache | None = None,
        zone_of: Mapping[str, ZoneOf] | None = None,
        *,
        bare_when_unknown: bool = True,
    ) -> None:
        self.cohorts = cohorts
        self.bare_when_unknown = bare_when_unknown
        self.learners = learners
        self.records = records
        self.course = course
        self.zones = zones or ZoneCache(cohorts.client, cohorts.keys)
        self.zone_of = dict(zone_of or {})

    async def plan(self, tenant: Tenant, cohort: Cohort, now: float) -> list[CohortNudge]:
        """Every learner's next nudge under the cohort's own policy, soonest first."""
        policy = nudge_policy(cohort.settings)
        entries = await self.cohorts.roster(tenant, cohort.name)
        lines = await read_roster(self.learners, self.course.module, tenant, entries, None, now)
        actors = [learner_actor(tenant, entry.user) for entry in entries]
        found = await self.records.read(actors)
        zoned = tenant.platform in ZONED_PLATFORMS
        known = await self.zones.read(actors) if zoned else [""] * len(actors)
        ask = self.zone_of.get(tenant.platform)
        out: list[CohortNudge] = []
        for line, actor, record, tz in zip(lines, actors, found, known, strict=True):
            nudge = self._nudge(line, actor, record, tz, policy, now, bare=tz is None)
            if nudge is not None and tz is None:
                if ask is not None and nudge.plan.at <= now:
                    nudge = self._nudge(line, actor, record, await ask(actor) or "", policy, now)
                elif not self.bare_when_unknown:
                    nudge = self._nudge(line, actor, record, "", policy, now)
            if nudge is not None:
                out.append(nudge)
        return sorted(out, key=lambda nudge: nudge.plan.at)

    def _nudge(
        self,
        line: RosterLine,
        actor: Actor,
        record: NudgeRecord,
        tz: str | None,
        policy: NudgePolicy,
        now: float,
        *,
        bare: bool = False,
    ) -> CohortNudge | None:
        stretch = line.last_active if line.last_active is not None else line.entry.enrolled_at
        standing = NudgeStanding(
            actor=actor,
            last_active=stretch,
            nudges_sent=record.sent_in(stretch),
            last_nudge_at=record.last_sent_in(stretch),
            paused=record.paused(stretch),
            finished=line.passed,
            tz=tz or None,
            zone_unknown=bare,
        )
        plan = next_nudge(standing, policy)
        if plan is None:
            return None
        where = stopped_at(line.state, self.course, now)
        text = nudge_text(where, line.started, plan.number, plan.number >= policy.max_nudges)
        return CohortNudge(user=actor.user, name=line.entry.name, plan=plan, stretch=stretch, text=text)


async def plan_cohort(
    cohorts: CohortStore,
    learners: RedisLearnerStore,
    records: NudgeRecords,
    course: CompiledModule,
    tenant: Tenant,
    cohort: Cohort,
    now: float,
) -> list[CohortNudge]:
    """Every learner's next nudge under the cohort's own policy, soonest first, in the zones
    known so far (the shell and tests; the bot processes ask the platform too), as jobs plan it."""
    return await CohortPlanner(cohorts, learners, records, course).plan(tenant, cohort, now)


async def schedule_nudges(jobs: JobStore, tenant: Tenant, cohort: str, nudges: list[CohortNudge]) -> int:
    """Schedules each planned nudge once; returns how many were new."""
    added = 0
    for nudge in nudges:
        added += await jobs.schedule(nudge.job(tenant, cohort))
    return added


class NudgeSweep:
    """The `nudge-sweep` job: plans and schedules every cohort's nudges."""

    def __init__(self, planner: CohortPlanner, jobs: JobStore, clock: Clock) -> None:
        self.planner = planner
        self.cohorts = planner.cohorts
        self.jobs = jobs
        self.clock = clock

    async def __call__(self, job: Job) -> None:
        added = 0
        async for tenant, cohort in self.cohorts.every_cohort():
            try:
                nudges = await self.planner.plan(tenant, cohort, self.clock.now())
                added += await schedule_nudges(self.jobs, tenant, cohort.name, nudges)
            except ValueError:  # a broken record of one cohort must not stop the others
                log.exception("nudge sweep %s: cohort %s of %s not planned", job.id, cohort.name, tenant)
        if added:
            log.info("nudge sweep %s scheduled %d nudge(s)", job.id, added)


def sweep_handlers(
    learners: RedisLearnerStore,
    course: CompiledModule,
    clock: Clock,
    zone_of: Mapping[str, ZoneOf] | None = None,
) -> dict[str, Handler]:
    """The sweep, for any process that runs the scheduler (it needs no platform connection;
    `zone_of` lets a bot process ask its platform for learners' zones while planning)."""
    cohorts = CohortStore(learners.client, learners.keys)
    planner = CohortPlanner(
        cohorts, learners, NudgeRecords(learners.client, learners.keys), course, zone_of=zone_of
    )
    return {SWEEP: NudgeSweep(planner, JobStore(learners.client, learners.keys), clock)}
