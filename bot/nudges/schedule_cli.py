"""`tutorbot cohort schedule NAME --tenant PLATFORM:TENANT`: what is due for a cohort, and when.

Each learner's next nudge as the policy plans it (times in UTC; quiet hours and weekends in
the learner's zone as their platform last told it, the cohort's on Discord; a Slack learner
whose zone is not known yet shows the bare due time, which the sender holds to their morning),
and whether the scheduler holds it already; then the cohort's lesson releases still to come
(`bot.releases.listing`). With `--yes` the planned nudges are handed to the
scheduler (each once, however often this runs: from cron, say).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from bot.cohorts.models import Tenant
from bot.cohorts.policy import nudge_policy
from bot.nudges.policy import NudgePolicy
from bot.nudges.sweep import CohortNudge


def schedule_table(nudges: list[CohortNudge], waiting: set[str], policy: NudgePolicy) -> list[str]:
    rows = [f"{'when (UTC)':<17}  {'learner':<28}  {'what':<15}  state"]
    for nudge in nudges:
        when = datetime.fromtimestamp(nudge.plan.at, UTC).strftime("%Y-%m-%d %H:%M")
        who = f"{nudge.name} ({nudge.user})" if nudge.name else nudge.user
        what = f"nudge {nudge.plan.number} of {policy.max_nudges}"
        state = "scheduled" if nudge.plan.job_id in waiting else "planned"
        rows.append(f"{when:<17}  {who[:28]:<28}  {what:<15}  {state}")
    return rows


async def run_schedule_listing(name: str, tenant: str, apply: bool = False, out: TextIO | None = None) -> int:
    from bot.cohorts.store import CohortStore
    from bot.nudges.record import NudgeRecords
    from bot.nudges.sweep import plan_cohort, schedule_nudges
    from bot.releases.listing import release_table
    from bot.runtime import open_runtime
    from bot.scheduler.store import JobStore
    from bot.settings import Settings

    out = out or sys.stdout
    platform, _, tenant_id = tenant.partition(":")
    try:
        where = Tenant.model_validate({"platform": platform, "tenant": tenant_id})
    except ValueError:
        out.write("Name the tenant as --tenant PLATFORM:TENANT, for example slack:T0123ABCD.\n")
        return 2
    async with open_runtime(Settings()) as runtime:
        cohorts = CohortStore(runtime.redis, runtime.keys)
        cohort = await cohorts.get(where, name)
        if cohort is None:
            out.write(f"No cohort named `{name[:40]}` in {where}.\n")
            return 1
        policy = nudge_policy(cohort.settings)
        records = NudgeRecords(runtime.redis, runtime.keys)
        course = runtime.engine.course
        nudges = await plan_cohort(cohorts, runtime.store, records, course, where, cohort, time.time())
        jobs = JobStore(runtime.redis, runtime.keys)
        added = await schedule_nudges(jobs, where, name, nudges) if apply else 0
        waiting = {job.id for job in await jobs.waiting()}
        releases = release_table(where, cohort, runtime.module, waiting, time.time())
    out.write(f"{name} ({where}): {len(nudges)} nudge(s) due\n")
    out.writelines(f"{row}\n" for row in schedule_table(nudges, waiting, policy))
    out.writelines(f"{row}\n" for row in releases)
    if apply:
        out.write(f"{added} new nudge job(s) handed to the scheduler.\n")
    return 0
