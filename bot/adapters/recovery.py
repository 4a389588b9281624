"""Taking over the lab turns of bot processes that are gone, for both chat platforms.

A process that dies mid-turn leaves its learner's reply unanswered. The engine finds such
turns (`Engine.sweep`): at start-up the ones this process itself was answering before it
stopped, and then, every few seconds, any whose lease has run out. Each is answered into the
learner's DM as background work of the adapter's `Worker`, so a shutdown drains it too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot import cancellation
from bot.adapters.work import Worker
from bot.domain.events import Actor
from bot.domain.outbox import Outbox
from bot.engine.engine import Deliver, Engine
from bot.logs import RepeatedFailures

log = logging.getLogger(__name__)


class ClosingOutbox(Outbox, Protocol):
    async def close(self) -> None: ...


def dm_delivery(worker: Worker, open_dm: Callable[[], ClosingOutbox]) -> Deliver:
    """Run the engine's call for a learner through a fresh outbox to their DM, on `worker`."""

    async def deliver(actor: Actor, call: Callable[[Outbox], Awaitable[None]]) -> None:
        async def run() -> None:
            outbox = open_dm()
            try:
                await call(outbox)
            finally:
                await outbox.close()

        worker.submit(str(actor), run, what="lab turn taken over")

    return deliver


async def keep_recovering(engine: Engine, deliver: Deliver, *, interval_s: float) -> None:
    """Sweep at once (as this process starts), then every `interval_s`, until cancelled."""
    failures = RepeatedFailures(log)
    startup = True
    while True:
        try:
            taken = await engine.sweep(deliver, startup=startup)
            if taken:
                log.info("took over %d lab turn(s) left by stopped processes", taken)
            startup = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis away for a moment: the next sweep tries again
            failures.failed("sweeping for orphaned lab turns failed", exc, traceback=False)
        await cancellation.sleep(interval_s)
