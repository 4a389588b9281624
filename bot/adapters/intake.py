"""What every platform's handlers do with an inbound event once it is translated.

A handler answers the platform within its 3 seconds (ack, defer), then hands the engine call to
`Intake.submit`, which runs it in the background `Worker`. `Intake.handle` runs the engine on
one event with that event's outbox and always closes the outbox, so drafts are cleaned up and
the learner is told where the answer went even when the engine fails. `Intake.first_time`
claims a platform's event id in Redis (`EventDeduper`), so a retried or doubly delivered event
is handled once, whichever process sees it first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.exceptions import RedisError

from bot.adapters.delivery import EventOutbox
from bot.adapters.work import Worker
from bot.domain.events import Actor, Event
from bot.engine.engine import Engine
from bot.nudges.controls import NudgeControls
from bot.storage.dedupe import EventDeduper

log = logging.getLogger(__name__)

OutboxT = TypeVar("OutboxT", bound=EventOutbox[Any])


class Intake:
    def __init__(
        self, platform: str, engine: Engine, worker: Worker, deduper: EventDeduper, controls: NudgeControls
    ) -> None:
        self.platform = platform
        self.engine = engine
        self.controls = controls
        """`pause` and `resume` of nudges, answered before the engine sees the event."""
        self.worker = worker
        self.deduper = deduper
        self.accepting = True
        """False once the runner is stopping: new events are left unanswered (the platform or
        the learner tries again once a bot is back), while the work already accepted goes on."""

    def stop_accepting(self) -> None:
        self.accepting = False

    async def first_time(self, scope: str, event_id: str) -> bool:
        """Whether this is the first sight of `event_id` among the platform's `scope` of ids."""
        try:
            return await self.deduper.first_time(f"{self.platform}.{scope}", event_id)
        except (RedisError, ValueError):
            # Better to risk handling a duplicate (the engine tolerates them) than to drop it.
            log.warning("%s: could not check %s %s for duplicates", self.platform, scope, event_id)
            return True

    def submit(self, actor: Actor, what: str, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` after the platform has been answered; `what` names it in logs."""

        async def run() -> None:
            await job()

        self.worker.submit(str(actor), run, what=what)

    async def handle(self, event: Event, outbox: OutboxT) -> OutboxT:
        try:
            if not await self.controls.take(event, outbox):
                await self.engine.handle(event, outbox)
        finally:
            await outbox.close()
        return outbox
