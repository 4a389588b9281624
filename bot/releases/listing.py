"""A cohort's lesson releases still to come, as `tutorbot cohort schedule` lists them: each
lesson's announcement (its DM, at 09:00 on its opening day) in the cohort's own time zone, and
whether the scheduler holds its job."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.policy import release_zone
from bot.course.models import Module
from bot.releases.jobs import planned


def release_table(tenant: Tenant, cohort: Cohort, module: Module, waiting: set[str], now: float) -> list[str]:
    """The titled table of the releases to come (none: no lines at all)."""
    jobs = [job for job in planned(tenant, cohort, module) if job.run_at > now]
    if not jobs:
        return []
    zone = release_zone(cohort.settings)
    head = f"when ({zone})"
    width = max(17, len(head))
    titles = {lesson.number: lesson.title for lesson in module.lessons}
    rows = [
        "",
        f"{len(jobs)} lesson release(s) to come (each lesson opens at 00:00 on its day, its DM at the time shown):",
        f"{head:<{width}}  {'what':<44}  state",
    ]
    for job in jobs:
        number = int(job.data["lesson"])
        when = datetime.fromtimestamp(job.run_at, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        what = f"Lesson {number} is open: {titles[number]}"
        if number <= cohort.opened_through:
            state = "opened early"
        else:
            state = "scheduled" if job.id in waiting else "planned"
        rows.append(f"{when:<{width}}  {what[:44]:<44}  {state}")
    return rows
