"""The pass role's scheduler jobs: the grant (`pass-role.discord`), and the sweep
(`pass-role-sweep.discord`) that hands the scheduler a grant whose pass listener never ran.

The grant is handed to the scheduler right after the pass is committed; a process killed
between the two would lose it. The sweep is a recurring job, one per `SWEEP_EVERY_S` for the
whole deployment, run only by a process that runs Discord jobs: it reads every Discord cohort
that names a pass role (`CohortStore.every_cohort`), its roster's learners' records in pipelined
reads (per node on a cluster), and schedules the same grant job, under the same id, for each
learner who passed in the last `RECENT_PASS_S`. The scheduler refuses an id that is waiting,
running or done, so a grant that was made (or is on its way) is not made again.

Only recent passes are swept, so that a role a facilitator took away by hand after its grant
job ran stays away: a grant's done mark is kept `done_keep_s` (30 days) from when it ran, which
is after the pass, so every pass within the window (7 days, shorter than that by construction)
still has its mark, and an older pass is never looked at again. Seven days make up a grant lost
while every Discord process was down for a long weekend; a pass lost longer ago gets its role
when the learner runs `/tutor certificate` (which grants directly, without the job: a learner
whose job was lost and who fetched their certificate may still get the role once from the
sweep). A cohort's new pass role (another id) is given by the sweep to the learners who passed
within the window, as a `/tutor certificate` would.

Cluster: the only script is `JobStore.schedule`, in its shard's slot; the roster and the
learners' records are plain reads, the records pipelined per node (`RedisLearnerStore.snapshots`).

No platform connection is needed here (no discord.py import), so the Slack and scheduler
processes can name the sweep among their recurring jobs; only a Discord process registers it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.adapters.discord.dm_course import DM_TENANT
from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.roster import learner_actor
from bot.cohorts.store import CohortStore
from bot.reports import snapshot_state
from bot.scheduler.job import Job
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger("tutorbot.discord.pass_role")

GRANT = "pass-role.discord"
"""The grant's job kind: only a Discord process (which has the REST client) runs it."""
SWEEP = "pass-role-sweep.discord"
SWEEP_EVERY_S = 600.0
"""A lost grant is made up within ten minutes."""
RECURRING = {SWEEP: SWEEP_EVERY_S}
RECENT_PASS_S = 7 * 86400.0
"""Passes this recent are swept (see the module docstring)."""


def grant_job(guild: str, user: str, role: str, run_at: float) -> Job:
    """The grant of `role` to `user` of `guild`: one id per server, learner and role."""
    return Job(
        id=f"{GRANT}:{guild}:{user}:{role}", kind=GRANT, run_at=run_at, data={"guild": guild, "user": user}
    )


class PassRoleSweep:
    """The `pass-role-sweep.discord` job. `now` is the clock the engine stamps passes with."""

    def __init__(
        self,
        cohorts: CohortStore,
        learners: RedisLearnerStore,
        jobs: JobStore,
        now: Callable[[], float],
        *,
        recent_s: float = RECENT_PASS_S,
    ) -> None:
        if recent_s * 1000 >= jobs.done_keep_ms:
            raise ValueError("the swept passes must be more recent than the scheduler keeps its done marks")
        self.cohorts = cohorts
        self.learners = learners
        self.jobs = jobs
        self.now = now
        self.recent_s = recent_s

    async def __call__(self, job: Job) -> None:
        now = self.now()
        added = 0
        async for tenant, cohort in self.cohorts.every_cohort():
            role = cohort.settings.pass_role
            if tenant.platform != "discord" or tenant.tenant == DM_TENANT or role is None:
                continue
            try:
                for user in await self.recent_passes(tenant, cohort, now):
                    # Due with the sweep itself: at once, for the process that runs it.
                    if await self.jobs.schedule(grant_job(tenant.tenant, user, role, job.run_at)):
                        added += 1
                        log.warning(
                            "pass role %s for %s:%s was never handed on: scheduled", role, tenant, user
                        )
            except ValueError:  # a broken record of one cohort must not stop the others
                log.exception("pass-role sweep %s: cohort %s of %s not swept", job.id, cohort.name, tenant)
        if added:
            log.warning("pass-role sweep %s scheduled %d lost grant(s)", job.id, added)

    async def recent_passes(self, tenant: Tenant, cohort: Cohort, now: float) -> list[str]:
        """The cohort's learners who first passed the module test within the window, by user id."""
        entries = await self.cohorts.roster(tenant, cohort.name)
        snapshots = await self.learners.snapshots([learner_actor(tenant, entry.user) for entry in entries])
        since = now - self.recent_s
        out = []
        for snapshot in snapshots:
            state, _ = snapshot_state(snapshot)  # an unreadable record has no pass to go by
            first = state.progress.first_pass if state is not None and state.started else None
            if first is not None and first.finished_at >= since:
                out.append(snapshot.actor.user)
        return out
