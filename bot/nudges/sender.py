"""The scheduler's nudge jobs (`nudge.slack`, `nudge.discord`: each run only by a process that
can reach that platform): send the drafted nudge unless the learner was active again, paused,
or already got it, and only outside quiet hours and weekends (if off) in their own zone.

Exactly once: the nudge is counted for its stretch, together with a "posting" mark naming the
job (atomically, `NudgeRecords.claim_send`), before it is posted, and confirmed after the
platform answered. Every post carries the job id as its idempotency key (`PostOnce`): on
Discord the message's `nonce` with `enforce_nonce`, on Slack the message's `metadata`
(`chat.postMessage` has no idempotency key of its own). A job taken over after its process died
finds one of three things. Counted and confirmed: it sends nothing. Counted by itself and never
confirmed (killed between counting and the platform's answer): it asks the platform whether
the post went out, and posts only if not: Discord is sent the same create again and, within
its nonce window (a few minutes; the takeover comes when the 60 s lease runs out), answers
with the first message instead of making a second; past that window (every process down for
minutes) the learner's DM and course thread are read for the bot's message since the count
(`bot.adapters.discord.outbox`); Slack's DM history (`conversations.history` with
`include_all_metadata`) is searched for the key. Not counted: it counts and posts as usual.

A post refused for a reason that may pass is given back and retried through the scheduler (a
429 after the wait the platform asked for, never a sleep here); while it may have gone out
(a takeover's post or question refused), it stays counted and the platform is asked again. A
learner who cannot be reached (left the workspace or server, deactivated, DMs closed) is
logged with the job and not tried again.

Everything is checked again at send time, whatever the plan said: the cohort's current policy
(`max-nudges`, quiet hours, weekends), the learner's zone, activity and pause since, and that
the previous nudge went out at least `nudge-after` ago, so a clock that jumps (or a backlog
after an outage) sends at most the one nudge a stretch is due, never a burst.
"""

from __future__ import annotations

import logging

from bot.adapters.platform import Refused
from bot.cohorts.models import Tenant
from bot.cohorts.policy import nudge_policy
from bot.cohorts.store import CohortStore
from bot.domain.events import Actor
from bot.domain.outbox import CardPoster, PostOnce
from bot.nudges.draft import nudge_message
from bot.nudges.record import NudgeRecords
from bot.nudges.sweep import nudge_kind
from bot.nudges.timing import allowed_at
from bot.nudges.zones import ZoneOf
from bot.reports import entry_time
from bot.scheduler.clock import Clock
from bot.scheduler.job import Job
from bot.scheduler.runner import Handler, RetryLater
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger("tutorbot.nudges")

RETRY_S = 300.0
"""A post that failed for a reason that may pass (the network, a platform error) is tried
again this much later, a little longer each time (up to an hour), for as long as the nudge is
still due (activity or a pause meanwhile ends it), `MAX_RETRIES` tries in all (about fourteen
hours), then given up and logged: the learner's next stretch plans afresh."""
MAX_RETRIES = 20


class NudgeSender:
    def __init__(
        self,
        learners: RedisLearnerStore,
        records: NudgeRecords,
        cohorts: CohortStore,
        poster: CardPoster,
        *,
        clock: Clock,
        zone_of: ZoneOf | None = None,
    ) -> None:
        self.learners = learners
        self.records = records
        self.cohorts = cohorts
        self.poster = poster
        self.clock = clock
        self.zone_of = zone_of

    async def __call__(self, job: Job) -> None:
        data = job.data
        actor = Actor.model_validate(
            {"platform": data["platform"], "tenant": data["tenant"], "user": data["user"]}
        )
        stretch, number = float(data["stretch"]), int(data["number"])
        [snapshot] = await self.learners.snapshots([actor], log_last=1)
        last = entry_time(snapshot.log[-1]) if snapshot.log else None
        if last is not None and last > stretch:
            log.info("nudge %s not sent: %s was active again", job.id, actor)
            return
        [record] = await self.records.read([actor])
        if record.paused(stretch):
            log.info("nudge %s not sent: %s paused nudges", job.id, actor)
            return
        # This job counted the nudge and stopped before the platform's answer (its process died).
        unsure = record.unconfirmed(job.id, stretch, number)
        if not unsure and record.sent_in(stretch) >= number:
            log.info("nudge %s not sent again to %s: sent already", job.id, actor)
            return
        cohort = await self.cohorts.get(Tenant(platform=actor.platform, tenant=actor.tenant), data["cohort"])
        if cohort is None:
            log.info("nudge %s not sent: the cohort of %s is gone", job.id, actor)
            return
        policy = nudge_policy(cohort.settings)
        if number > policy.max_nudges:
            log.info("nudge %s not sent: %s's cohort allows %d now", job.id, actor, policy.max_nudges)
            return
        now = self.clock.now()
        if unsure:
            # Its time was checked when it was counted; asked (and posted, if it never went out) now.
            claimed_at = record.sent_at if record.sent_at is not None else now
            once = PostOnce(job.id, unsure_for_s=max(0.0, now - claimed_at), claimed_at=claimed_at)
            log.warning(
                "nudge %s to %s: a run that stopped may have posted it; asking the platform", job.id, actor
            )
        else:
            previous = record.last_sent_in(stretch)
            allowed = now if previous is None else max(now, previous + policy.nudge_after_s)
            zone = policy.zone(await self.zone_of(actor) if self.zone_of is not None else None)
            allowed = allowed_at(allowed, zone, policy)
            if allowed > now:
                # Planned before the learner's own zone was known, a policy changed, or the clock
                # moved: the job waits for the learner's next allowed moment.
                raise RetryLater(
                    max(1.0, allowed - now), f"not before {allowed:.0f} in {zone.key} for {actor}"
                )
            if not await self.records.claim_send(actor, stretch, number, now, job.id):
                log.info("nudge %s not sent again to %s: counted by another run meanwhile", job.id, actor)
                return
            once = PostOnce(job.id)
        try:
            posted = await self.poster.post_card(actor, nudge_message(data["text"]), once)
        except Refused as error:
            if error.unreachable:
                log.warning("nudge %s not sent: %s cannot be reached (%s)", job.id, actor, error.reason)
                await self.records.confirm(actor, job.id)  # counted: the next stretch plans afresh
                return
            if not unsure:  # unsure, it may still have gone out: it stays counted, and is asked again
                await self.records.give_back(actor, stretch, number, job.id)
            if error.retry_after_s is not None:
                raise RetryLater(max(1.0, error.retry_after_s), f"rate limited for {actor}") from None
            if job.attempt + 1 >= MAX_RETRIES:
                log.warning(
                    "nudge %s to %s given up after %d tries (%s)", job.id, actor, MAX_RETRIES, error.reason
                )
                return
            log.warning("nudge %s to %s refused for now (%s): tried again later", job.id, actor, error.reason)
            raise RetryLater(min(3600.0, RETRY_S * (job.attempt + 1)), error.reason) from None
        await self.records.confirm(actor, job.id)
        if not posted:
            log.warning("nudge %s to %s was posted by the run that stopped: not sent again", job.id, actor)
            return
        log.info("nudge %s sent to %s", job.id, actor)


LEGACY = "nudge"
"""The kind nudge jobs had before kinds named the platform."""


class LegacyNudge:
    """The handler of old `nudge` jobs, which any process may claim: a process of the job's
    platform sends it; another hands it on under its platform's kind (the learner's nudge
    record keeps it from going out twice, whichever job sends it)."""

    def __init__(self, sender: NudgeSender, platform: str, jobs: JobStore) -> None:
        self.sender = sender
        self.platform = platform
        self.jobs = jobs

    async def __call__(self, job: Job) -> None:
        platform = job.data.get("platform", "")
        if platform == self.platform:
            await self.sender(job)
        elif platform in ("slack", "discord"):
            moved = Job(id=f"{job.id}:moved", kind=nudge_kind(platform), run_at=job.run_at, data=job.data)
            await self.jobs.schedule(moved)
            log.info("nudge %s handed on to %s as %s", job.id, moved.kind, moved.id)
        else:
            log.warning("nudge %s: an old job of no known platform, dropped", job.id)


def nudge_handlers(
    learners: RedisLearnerStore,
    poster: CardPoster,
    platform: str,
    *,
    clock: Clock,
    zone_of: ZoneOf | None = None,
) -> dict[str, Handler]:
    """The nudge jobs of `platform`, for a process that can post to its learners."""
    cohorts = CohortStore(learners.client, learners.keys)
    records = NudgeRecords(learners.client, learners.keys)
    sender = NudgeSender(learners, records, cohorts, poster, clock=clock, zone_of=zone_of)
    legacy = LegacyNudge(sender, platform, JobStore(learners.client, learners.keys))
    return {nudge_kind(platform): sender, LEGACY: legacy}
