"""Release jobs stored under the old kind `release`, from before kinds named the platform.

A deployment upgraded with such jobs waiting must still announce them, and only a process of
the cohort's platform can. Any process that runs releases takes an old job when it is due and
schedules it again under its platform's kind and the id today's planning gives it
(`release:slack:…` becomes `release.slack:…`), due at once; a process of that platform then
runs it. Planned again by the sweep or a policy change, the id is the same, so it stays one job;
and the per-learner marks would keep anyone from hearing it twice even so.
"""

from __future__ import annotations

import logging

from bot.releases.jobs import LEGACY, release_kind
from bot.scheduler.job import Job
from bot.scheduler.store import JobStore

log = logging.getLogger("tutorbot.releases")


def moved(job: Job) -> Job | None:
    """The job under its platform's kind, or None for a job no version of this code wrote."""
    platform = job.data.get("platform", "")
    prefix = f"{LEGACY}:{platform}:"
    if platform not in ("slack", "discord") or not job.id.startswith(prefix):
        return None
    kind = release_kind(platform)
    return Job(id=f"{kind}:{job.id[len(prefix) :]}", kind=kind, run_at=job.run_at, data=job.data)


class MoveLegacyRelease:
    """The handler of the old `release` kind: hands the job to its platform's processes."""

    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs

    async def __call__(self, job: Job) -> None:
        new = moved(job)
        if new is None:
            log.warning("release %s: an old job of no known platform, dropped", job.id)
            return
        added = await self.jobs.schedule(new)
        log.info("release %s moved to %s (%s)", job.id, new.id, "scheduled" if added else "known already")
