"""Engine work that runs after the platform has been answered.

Slack wants an ack and Discord a first response within 3 s; a lab turn can take much longer.
Adapters therefore answer (ack, defer), hand the engine call to `Worker.submit`, and return.
The worker

- keeps a strong reference to every task (asyncio only keeps weak ones, so a fire-and-forget
  task can be garbage-collected mid-flight) and logs any failure instead of losing it;
- does not serialise a learner's events itself: the engine's revision-checked commits keep
  state right when two events of one learner race (in one process or several), and a lab
  turn that is still being answered is reported to the learner as such instead of queueing
  the next message behind a slow advisor;
- can be drained: on shutdown the runner waits for work in progress, and tests wait for it
  instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Worker:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(
        self, who: str, job: Callable[[], Awaitable[None]], *, what: str = "event"
    ) -> asyncio.Task[None]:
        """Run `job()` in the background. `who` (a learner id) and `what` (the kind of work)
        name the job in logs; neither may hold message text or tokens."""
        task = asyncio.get_running_loop().create_task(self._run(who, job, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until no job is running or queued (jobs may submit more jobs). False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def _run(self, who: str, job: Callable[[], Awaitable[None]], what: str) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            log.warning("%s for %s cancelled", what, who)
            raise
        except Exception:
            # The engine has committed or not; either way the learner can `resume`. Log the
            # learner and the kind of work, never payload text.
            log.exception("%s for %s failed", what, who)
