"""The scheduler's release jobs (`release.slack`, `release.discord`): tell each learner of a cohort that a lesson is open.

At run time the job asks the cohort's current schedule whether the lesson is open (a schedule
moved later since the job was planned leaves it nothing to do), then DMs every enrolled learner
"Lesson 2 is open" with a button that opens it, except those who paused nudges, those who have
read it already, and those told before (`ReleaseMarks`: by an earlier run of this job, or by a
facilitator opening it early for them). A DM that fails is tried again with the job; a learner
who cannot be reached (left, DMs closed) is logged and not tried again. Each DM carries an
idempotency key (the cohort, lesson and learner), so a run taken over from a process that died
while a DM was on its way asks the platform whether it went out, as the nudge sender does
(`bot.nudges.sender`), and nobody hears it twice or not at all.
"""

from __future__ import annotations

import asyncio
import logging

from bot.adapters.platform import Refused
from bot.cohorts import policy
from bot.cohorts.models import Tenant
from bot.cohorts.roster import learner_actor
from bot.cohorts.store import CohortStore
from bot.course.models import Lesson, Module
from bot.domain.events import Actor
from bot.domain.messages import Button, Message, Paragraph
from bot.domain.outbox import CardPoster, PostOnce
from bot.domain.release import opens_at
from bot.nudges.record import NudgeRecords
from bot.releases.jobs import release_kind
from bot.releases.sweep import release_sweep_handlers
from bot.releases.told import ReleaseMarks
from bot.reports import entry_time, snapshot_state
from bot.runtime import Runtime
from bot.scheduler.clock import Clock, SystemClock
from bot.scheduler.job import Job
from bot.scheduler.runner import Handler
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger("tutorbot.releases")

SEND_CONCURRENCY = 4
"""DMs of one release in flight at once. A process that dies outright can leave this many
learners whose DM may or may not have gone out: the job taken over asks the platform for each
(`PostOnce`, as a nudge does) and tells only those whose DM never went out."""


def release_message(module: Module, lesson: Lesson) -> Message:
    return Message(
        heading=f"Lesson {lesson.number} is open",
        blocks=(
            Paragraph(
                text=f"**Lesson {lesson.number}: {lesson.title}** of {module.title} is open now. "
                "Pick it up whenever you are ready."
            ),
        ),
        actions=(Button(label=f"Open Lesson {lesson.number}", action="go", arg=lesson.id, style="primary"),),
    )


class ReleaseFailed(RuntimeError):
    """Some DMs of a release could not go out: the job runs again for those learners."""


class ReleaseAnnouncer:
    def __init__(
        self,
        *,
        cohorts: CohortStore,
        learners: RedisLearnerStore,
        records: NudgeRecords,
        marks: ReleaseMarks,
        module: Module,
        outbox: CardPoster,
        clock: Clock,
    ) -> None:
        self.cohorts = cohorts
        self.learners = learners
        self.records = records
        self.marks = marks
        self.module = module
        self.outbox = outbox
        self.clock = clock

    async def __call__(self, job: Job) -> None:
        data = job.data
        tenant = Tenant.model_validate({"platform": data["platform"], "tenant": data["tenant"]})
        name, number = data["cohort"], int(data["lesson"])
        lesson = next((each for each in self.module.lessons if each.number == number), None)
        cohort = await self.cohorts.get(tenant, name)
        if lesson is None or cohort is None:
            log.info("release %s: nothing to announce (no such cohort or lesson now)", job.id)
            return
        release = policy.release_terms(cohort, self.module)
        if release is None or opens_at(release, number, self.clock.now()) is not None:
            log.info("release %s: lesson %d of %s is not open by the current schedule", job.id, number, name)
            return
        entries = await self.cohorts.roster(tenant, name)
        actors = [learner_actor(tenant, entry.user) for entry in entries]
        snapshots = await self.learners.snapshots(actors, log_last=1)
        records = await self.records.read(actors)
        message = release_message(self.module, lesson)
        gate = asyncio.Semaphore(SEND_CONCURRENCY)
        failed: list[Actor] = []
        sent: list[Actor] = []

        async def tell(actor: Actor) -> None:
            async with gate:
                user = actor.user
                key = f"release:{tenant.platform}:{tenant.tenant}:{name}:{lesson.id}:{user}"
                now = self.clock.now()
                if await self.marks.take(tenant, name, lesson.id, user, now):
                    once, unsure = PostOnce(key), False
                else:
                    began = await self.marks.began(tenant, name, lesson.id, user)
                    if began is None:
                        return  # told already
                    # A run that died while this DM was on its way: the platform is asked.
                    since = began or None  # 0.0: a mark that says no time
                    once, unsure = PostOnce(key, unsure_for_s=max(0.0, now - began), claimed_at=since), True
                # A process stopped meanwhile (cancelled) leaves the mark taken: its DM may have
                # reached the platform, and the run that takes the job over asks.
                try:
                    posted = await self.outbox.post_card(actor, message, once)
                except Refused as error:
                    if error.unreachable:
                        log.warning("release %s: %s cannot be reached (%s)", job.id, actor, error.reason)
                        await self.marks.settle(tenant, name, lesson.id, user)
                        return
                    log.warning("release %s: DM to %s failed (%s)", job.id, actor, error.reason)
                    if not unsure:  # else it may have gone out: asked again when the job is
                        await self.marks.give_back(tenant, name, lesson.id, user)
                    failed.append(actor)
                    return
                except Exception:
                    log.warning("release %s: DM to %s failed", job.id, actor, exc_info=True)
                    if not unsure:
                        await self.marks.give_back(tenant, name, lesson.id, user)
                    failed.append(actor)
                    return
                await self.marks.settle(tenant, name, lesson.id, user)
                if posted:
                    sent.append(actor)
                else:
                    log.info("release %s: the DM to %s went out in a run that stopped", job.id, actor)

        due = []
        for actor, snapshot, record in zip(actors, snapshots, records, strict=True):
            state, _ = snapshot_state(snapshot)
            last = entry_time(snapshot.log[-1]) if snapshot.log else None
            if record.paused(last or 0.0):
                log.info("release %s: %s paused, not told", job.id, actor)
            elif state is not None and lesson.id in state.progress.lessons_done:
                continue  # read already (opened early for them): nothing to announce
            else:
                due.append(actor)
        await asyncio.gather(*(tell(actor) for actor in due))
        log.info("release %s: %d of %d learners told now", job.id, len(sent), len(actors))
        if failed:
            raise ReleaseFailed(f"{len(failed)} release DM(s) failed")


def release_handlers(
    runtime: Runtime, outbox: CardPoster, platform: str, clock: Clock | None = None
) -> dict[str, Handler]:
    """The release jobs of `platform`'s cohorts, for a bot process that can DM their learners;
    the release sweep; and old jobs of the kind before kinds named the platform, handed on."""
    announcer = ReleaseAnnouncer(
        cohorts=CohortStore(runtime.redis, runtime.keys),
        learners=runtime.store,
        records=NudgeRecords(runtime.redis, runtime.keys),
        marks=ReleaseMarks(runtime.redis, runtime.keys),
        module=runtime.module,
        outbox=outbox,
        clock=clock or SystemClock(),
    )
    return {release_kind(platform): announcer, **release_sweep_handlers(runtime, announcer.clock)}
