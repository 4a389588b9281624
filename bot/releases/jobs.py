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


CATCH_UP_S = 86400.0
"""A release whose announcement time passed less than this long ago, and whose job never ran
(it was lost), is still announced when the sweep plans it again (`keep_planned`)."""


async def replan(
    jobs: JobStore, tenant: Tenant, before: Cohort | None, after: Cohort, module: Module, now: float
) -> int:
    """Cancels what `before`'s schedule planned and `after`'s does not; schedules `after`'s
    releases still to come. A release the new schedule puts in the past (its lesson was open
    before the schedule was set) is marked done, so the sweep does not announce it either.
    Returns how many jobs were new."""
    plan = planned(tenant, after, module)
    wanted = {job.id: job for job in plan if job.run_at > now}
    old_ids = {old.id for old in planned(tenant, before, module)} if before else set()
    for old_id in old_ids - set(wanted):
        await jobs.cancel(old_id)
    for past in plan:
        if past.run_at <= now and past.id not in old_ids:
            await jobs.retire(past.id, now)
    added = 0
    for job in wanted.values():
        added += await jobs.schedule(job)
    return added


async def keep_planned(jobs: JobStore, tenant: Tenant, cohort: Cohort, module: Module, now: float) -> int:
    """The sweep's planning: every release of the cohort's schedule still to come, or due in
    the last `CATCH_UP_S` and never run, scheduled unless it is known (waiting, running or
    done). Returns how many jobs were missing."""
    added = 0
    for job in planned(tenant, cohort, module):
        if job.run_at > now - CATCH_UP_S:
            added += await jobs.schedule(job)
    return added


async def announce_now(jobs: JobStore, tenant: Tenant, cohort: str, lesson_number: int, now: float) -> bool:
    """A lesson a facilitator opened early for the whole cohort: announced at once."""
    return await jobs.schedule(release_job(tenant, cohort, lesson_number, now, "early"))
