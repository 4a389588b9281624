"""The scheduler jobs that announce a cohort's lessons: one per cohort per lesson release.

A job's kind names the cohort's platform (`release.slack`, `release.discord`), so only a
process that can DM its learners claims it. A job's id names the cohort, the lesson and its announcement time, so planning the same
schedule again schedules nothing twice; a schedule changed (new dates, a new start) cancels the
jobs the old one planned and plans its own. Only releases still to come are planned: setting a
schedule whose first dates are past does not announce lessons that were open already.
"""

from __future__ import annotations

from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.policy import release_zone
from bot.course.models import Module
from bot.domain.release import announce_at
from bot.scheduler.job import Job
from bot.scheduler.store import JobStore

LEGACY = "release"
"""The kind of release jobs planned before kinds named the platform (see `bot.releases.legacy`)."""


def release_kind(platform: str) -> str:
    return f"{LEGACY}.{platform}"


def is_release(job: Job) -> bool:
    return job.kind == LEGACY or job.kind.startswith(f"{LEGACY}.")


def release_job(tenant: Tenant, cohort: str, lesson_number: int, at: float, tag: str) -> Job:
    kind = release_kind(tenant.platform)
    return Job(
        id=f"{kind}:{tenant.tenant}:{cohort}:L{lesson_number}:{tag}",
        kind=kind,
        run_at=at,
        data={
            "platform": tenant.platform,
            "tenant": tenant.tenant,
            "cohort": cohort,
            "lesson": str(lesson_number),
        },
    )


def planned(tenant: Tenant, cohort: Cohort, module: Module) -> list[Job]:
    """A job per lesson after the first, at its announcement time, by the cohort's schedule."""
    s = cohort.settings
    if s.release is None:
        return []
    zone = release_zone(s)
    days = s.release.days(s.start_date, len(module.lessons))
    out = []
    for number, day in enumerate(days, start=2):
        at = announce_at(day, zone)
        out.append(release_job(tenant, cohort.name, number, at, str(int(at))))
    return out


async def replan(
    jobs: JobStore, tenant: Tenant, before: Cohort | None, after: Cohort, module: Module, now: float
) -> int:
    """Cancels what `before`'s schedule planned and `after`'s does not; schedules `after`'s
    releases still to come. Returns how many jobs were new."""
    wanted = {job.id: job for job in planned(tenant, after, module) if job.run_at > now}
    for old in planned(tenant, before, module) if before else []:
        if old.id not in wanted:
            await jobs.cancel(old.id)
    added = 0
    for job in wanted.values():
        added += await jobs.schedule(job)
    return added


async def announce_now(jobs: JobStore, tenant: Tenant, cohort: str, lesson_number: int, now: float) -> bool:
    """A lesson a facilitator opened early for the whole cohort: announced at once."""
    return await jobs.schedule(release_job(tenant, cohort, lesson_number, now, "early"))
