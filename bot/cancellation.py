"""Stopping a background loop even when asyncio lost the request to stop it.

On Python 3.11, `asyncio.wait_for` swallows a cancel that comes in the same loop turn as the work
it waits for finishing: it returns the result instead of raising (CPython gh-86296, fixed in
3.12). redis-py wraps each socket write in `wait_for` whenever a socket timeout is set, as ours
always is, so a loop told to stop (a sweep, a lease renewal, the scheduler) could carry on, and
whatever awaited its end (a lab reply, a shutdown) waited for ever. The task still counts the
request (`Task.cancelling()`), so a loop that asks before each pause stops at its next one.
"""

from __future__ import annotations

import asyncio


def raise_if_stopping() -> None:
    """Raise `CancelledError` when the running task was asked to stop and is still running."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def sleep(seconds: float) -> None:
    """`asyncio.sleep`, first stopping the task if a request to stop it was lost meanwhile."""
    raise_if_stopping()
    await asyncio.sleep(seconds)


async def stop(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait until it has ended. Unlike awaiting it under
    `suppress(CancelledError)`, a cancel of the task that waits is not swallowed with the
    stopped task's own."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled() and (error := task.exception()) is not None:
        raise error
