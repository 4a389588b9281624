"""How a platform runner stops: on SIGINT/SIGTERM it stops taking new events, then finishes the
engine work it has already accepted (up to `DRAIN_TIMEOUT_S`) before Redis closes."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from bot.adapters.work import Worker

log = logging.getLogger(__name__)

DRAIN_TIMEOUT_S = 30.0


@contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set `stop` on SIGINT/SIGTERM while inside; restore the previous handling on the way out."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not on this platform or not the main thread; Ctrl-C still ends the process
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def finish_accepted_work(worker: Worker, platform: str, timeout: float = DRAIN_TIMEOUT_S) -> None:
    """Wait for the events already acknowledged to the platform; what is left after `timeout`
    is logged (the learner can `resume` once the bot is back)."""
    if not await worker.drain(timeout):
        log.warning("stopped with %d %s events still being handled", worker.pending, platform)
