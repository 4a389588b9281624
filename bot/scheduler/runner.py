"""Runs the jobs that are due: in the Slack and Discord processes, or as `tutorbot scheduler`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot import cancellation
from bot.scheduler.clock import Clock
from bot.scheduler.job import Claimed, Job
from bot.scheduler.store import JobStore

log = logging.getLogger("tutorbot.scheduler")

Handler = Callable[[Job], Awaitable[None]]


class RetryLater(Exception):
    """A handler's way to say "not now" (a 429, quiet hours): the job runs again after `delay_s`."""

    def __init__(self, delay_s: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay_s:.0f}s")
        self.delay_s = delay_s


@dataclass
class RunStats:
    done: int = 0
    retried: int = 0
    lost: int = 0  # finished after the lease was taken over by another process


@dataclass
class Scheduler:
    """Claims due jobs from `store` and hands each to the handler of its `kind`.

    A handler must be idempotent for its job id (it may run again if this process dies after
    sending but before the job is marked done). It claims only jobs of the kinds it has a
    handler for: the others wait, untouched, for a process that runs them (a Slack process
    leaves a Discord cohort's release to a Discord process).
    """

    store: JobStore
    clock: Clock
    handlers: dict[str, Handler] = field(default_factory=dict)
    lease_s: float = 60.0
    poll_s: float = 1.0
    max_attempts: int = 5
    batch: int = 100
    stats: RunStats = field(default_factory=RunStats)
    recurring: dict[str, float] = field(default_factory=dict)
    """Kind → period (s): one job of the kind per period for the whole deployment (its id is
    `KIND@N`, N the period's number), scheduled by whichever process sees the period begin."""
    _seeded: dict[str, int] = field(default_factory=dict)

    def on(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    def every(self, kind: str, period_s: float) -> None:
        if period_s <= 0:
            raise ValueError("a recurring job needs a period above 0")
        self.recurring[kind] = period_s

    async def _seed(self, now: float) -> None:
        # Every process schedules the period's job; its id makes it one job. A clock set back
        # names a period whose job has run (and is kept done), so nothing runs twice; a clock
        # jumping forward names a new period, whose job is due at once and runs once (the
        # periods jumped over are not made up: one run plans everything due).
        for kind, period in self.recurring.items():
            number = int(now // period)
            if self._seeded.get(kind) != number:
                await self.store.schedule(Job(id=f"{kind}@{number}", kind=kind, run_at=number * period))
                self._seeded[kind] = number

    async def run_due(self) -> int:
        """Runs everything due now; returns how many jobs were claimed."""
        await self._seed(self.clock.now())
        claimed = await self.store.claim(
            self.clock.now(), lease_s=self.lease_s, limit=self.batch, kinds=self.handlers.keys()
        )
        if claimed:
            await asyncio.gather(*(self._run(one) for one in claimed))
        return len(claimed)

    async def run_until_idle(self) -> int:
        """`run_due` until nothing more is due (for `--once`)."""
        total = 0
        while (count := await self.run_due()) > 0:
            total += count
        return total

    async def run_forever(self) -> None:
        while True:
            cancellation.raise_if_stopping()  # busy, it may not pause between passes
            try:
                if await self.run_due() == 0:
                    await self.clock.sleep(self.poll_s)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away for a moment: keep the loop, say so, try again
                log.exception("scheduler pass failed")
                await self.clock.sleep(self.poll_s)

    async def _run(self, claimed: Claimed) -> None:
        job = claimed.job
        handler = self.handlers.get(job.kind)
        if handler is None:
            await self.store.retry(claimed, self.clock.now() + self.poll_s * 30)
            return
        renewing = asyncio.create_task(self._keep_lease(claimed))
        try:
            await handler(job)
        except RetryLater as later:
            log.info("job %s (%s) later: %s", job.id, job.kind, later)
            await self.store.retry(claimed, self.clock.now() + later.delay_s)
            self.stats.retried += 1
            return
        except Exception:
            log.exception("job %s (%s) failed, attempt %d", job.id, job.kind, job.attempt + 1)
            if job.attempt + 1 >= self.max_attempts:
                await self.store.finish(claimed, self.clock.now())  # given up: logged above
            else:
                await self.store.retry(claimed, self.clock.now() + 30 * 2**job.attempt)
                self.stats.retried += 1
            return
        finally:
            renewing.cancel()
        if await self.store.finish(claimed, self.clock.now()):
            self.stats.done += 1
        else:
            self.stats.lost += 1
            log.warning("job %s finished after its lease was taken over", job.id)

    async def _keep_lease(self, claimed: Claimed) -> None:
        while True:
            await cancellation.sleep(self.lease_s / 3)
            await self.store.renew(claimed, self.clock.now(), self.lease_s)
