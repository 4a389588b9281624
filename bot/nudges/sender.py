"""The scheduler's `nudge` job: send the drafted nudge unless the learner was active again or
paused since it was planned, and count it for the stretch."""

from __future__ import annotations

import logging

from bot.domain.events import Actor
from bot.domain.outbox import Outbox
from bot.nudges.draft import nudge_message
from bot.nudges.record import NudgeRecords
from bot.reports import entry_time
from bot.runtime import Runtime
from bot.scheduler.job import Job
from bot.scheduler.runner import Handler
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger("tutorbot.nudges")


class NudgeSender:
    def __init__(self, learners: RedisLearnerStore, records: NudgeRecords, outbox: Outbox) -> None:
        self.learners = learners
        self.records = records
        self.outbox = outbox

    async def __call__(self, job: Job) -> None:
        data = job.data
        actor = Actor.model_validate(
            {"platform": data["platform"], "tenant": data["tenant"], "user": data["user"]}
        )
        stretch = float(data["stretch"])
        [snapshot] = await self.learners.snapshots([actor], log_last=1)
        last = entry_time(snapshot.log[-1]) if snapshot.log else None
        if last is not None and last > stretch:
            log.info("nudge %s not sent: %s was active again", job.id, actor)
            return
        [record] = await self.records.read([actor])
        if record.paused(stretch):
            log.info("nudge %s not sent: %s paused nudges", job.id, actor)
            return
        await self.records.count_sent(actor, stretch, int(data["number"]))
        await self.outbox.send(actor, [nudge_message(data["text"])])
        log.info("nudge %s sent to %s", job.id, actor)


def nudge_handlers(runtime: Runtime, outbox: Outbox) -> dict[str, Handler]:
    """The scheduler jobs a bot process that can reach learners runs."""
    from bot.nudges.sweep import NUDGE

    sender = NudgeSender(runtime.store, NudgeRecords(runtime.redis, runtime.keys), outbox)
    return {NUDGE: sender}
