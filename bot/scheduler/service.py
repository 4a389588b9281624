"""The scheduler of a running bot: built from a `Runtime`, run in the background of the Slack
and Discord processes, or on its own as `tutorbot scheduler [--once]`."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TextIO

from bot import cancellation
from bot.runtime import Runtime, open_runtime
from bot.scheduler.clock import Clock, SystemClock
from bot.scheduler.runner import Handler, Scheduler
from bot.scheduler.store import JobStore
from bot.settings import Settings

log = logging.getLogger("tutorbot.scheduler")


def build_scheduler(
    runtime: Runtime,
    handlers: dict[str, Handler],
    clock: Clock | None = None,
    recurring: Mapping[str, float] | None = None,
) -> Scheduler:
    """A scheduler running `handlers`; the `recurring` kinds among them are seeded each period."""
    scheduler = Scheduler(JobStore(runtime.redis, runtime.keys), clock or SystemClock(), dict(handlers))
    for kind, period in (recurring or {}).items():
        if kind in handlers:
            scheduler.every(kind, period)
    return scheduler


@asynccontextmanager
async def scheduler_in_background(
    runtime: Runtime,
    handlers: dict[str, Handler],
    clock: Clock | None = None,
    recurring: Mapping[str, float] | None = None,
) -> AsyncIterator[Scheduler | None]:
    """Runs the scheduler beside a bot's event handling while the block runs (unless
    `SCHEDULER_IN_PROCESS=false`); other processes share its jobs safely."""
    if not runtime.settings.scheduler_in_process:
        yield None
        return
    scheduler = build_scheduler(runtime, handlers, clock, recurring)
    task = asyncio.create_task(scheduler.run_forever())
    try:
        yield scheduler
    finally:
        await cancellation.stop(task)


async def run_scheduler(
    once: bool,
    *,
    settings: Settings | None = None,
    handlers: dict[str, Handler] | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """`tutorbot scheduler`: run due jobs until stopped; with `once`, run what is due and exit."""
    settings = settings or Settings()
    async with open_runtime(settings, long_lived=not once) as runtime:
        if handlers is not None:
            return await _run(build_scheduler(runtime, handlers), once, out)
        # Apart from the bots: the nudge sweep, and the jobs of each platform it can reach.
        from bot.adapters.scheduler_platforms import platform_handlers
        from bot.adapters.timed_jobs import RECURRING

        clock = SystemClock()
        async with platform_handlers(runtime, clock) as found:
            return await _run(build_scheduler(runtime, found, clock, RECURRING), once, out)


async def _run(scheduler: Scheduler, once: bool, out: TextIO) -> int:
    if once:
        count = await scheduler.run_until_idle()
        out.write(f"ran {scheduler.stats.done} due job(s) of {count} claimed\n")
        return 0
    log.info("scheduler running")
    await scheduler.run_forever()
    return 0
