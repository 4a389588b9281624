"""The release sweep (`release-sweep`): every cohort's lesson releases planned again, now and then.

Release jobs are planned when a cohort's schedule is set or changed; a job lost after that (a
Redis restored from an older copy, a schedule set where no jobs were planned) would leave a
lesson unannounced. The sweep is a recurring scheduler job, one per `SWEEP_EVERY_S` for the
whole deployment: whichever process claims it plans every cohort of every tenant on the round
(`CohortStore.tenants`) again. Planning is idempotent (the same job ids; a waiting, running or
finished id is not scheduled again) and the per-learner marks keep anyone from hearing a lesson
twice, so sweeping often costs nothing but the reads. It also plans a release whose time passed
up to `CATCH_UP_S` ago and whose job never ran (lost before it was due): it runs at once.
"""

from __future__ import annotations

import logging

from bot.cohorts.store import CohortStore
from bot.course.models import Module
from bot.releases.jobs import LEGACY, keep_planned
from bot.releases.legacy import MoveLegacyRelease
from bot.runtime import Runtime
from bot.scheduler.clock import Clock
from bot.scheduler.job import Job
from bot.scheduler.runner import Handler
from bot.scheduler.store import JobStore

log = logging.getLogger("tutorbot.releases")

SWEEP = "release-sweep"
SWEEP_EVERY_S = 600.0
"""Releases are announced at 09:00 on their day: a lost one is made up within ten minutes."""
RECURRING = {SWEEP: SWEEP_EVERY_S}


class ReleaseSweep:
    def __init__(self, cohorts: CohortStore, jobs: JobStore, module: Module, clock: Clock) -> None:
        self.cohorts = cohorts
        self.jobs = jobs
        self.module = module
        self.clock = clock

    async def __call__(self, job: Job) -> None:
        added = 0
        async for tenant, cohort in self.cohorts.every_cohort():
            if cohort.settings.release is not None:
                added += await keep_planned(self.jobs, tenant, cohort, self.module, self.clock.now())
        if added:
            log.warning("release sweep %s planned %d release job(s) that were missing", job.id, added)


def release_sweep_handlers(runtime: Runtime, clock: Clock) -> dict[str, Handler]:
    """The sweep, and old `release` jobs handed on to their platform's kind: for any process
    that runs the scheduler (neither needs a platform connection)."""
    jobs = JobStore(runtime.redis, runtime.keys)
    sweep = ReleaseSweep(CohortStore(runtime.redis, runtime.keys), jobs, runtime.module, clock)
    return {SWEEP: sweep, LEGACY: MoveLegacyRelease(jobs)}
