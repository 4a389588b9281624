"""The cohort's pass role (`/cohort policy NAME pass-role @role`), granted on Discord when a
learner passes the module test, and again whenever they fetch their certificate, so a grant
that failed can be made up later.

The grant on a pass is a scheduler job (`pass-role.discord`), scheduled once the pass is
committed (`Engine.pass_listeners`) and named by the server, the learner and the role, so it
is granted once whichever Discord process runs it, and a process that stops before granting
leaves the job to another. A process killed between the pass's commit and that schedule leaves
it to the pass-role sweep (`bot.adapters.discord.pass_role_jobs`), which schedules the same job
for learners who passed in the last 7 days and whose grant was never handed on. A 429 that
outlasts discord.py's own retries is tried again through the scheduler, after the wait Discord
asked for.

Granting needs Manage Roles and the bot's highest role above the pass role; Discord answers
403 (code 50013) when either is missing, and 404 (10011) for a role that was deleted. The pass
itself is committed before any of this and is never touched by it. When a grant fails, it is
logged with the learner and the role, and the facilitator who set the role is told by DM, once
per cohort and role (a mark in Redis), so a full cohort passing does not flood them; a grant
that works again clears the mark, so a later breakage is reported again.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from redis.exceptions import RedisError

import discord
from bot.adapters.discord.dm_course import DM_TENANT
from bot.adapters.discord.pass_role_jobs import GRANT, SWEEP, PassRoleSweep, grant_job
from bot.adapters.platform import note
from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.store import AsyncRedis, CohortStore
from bot.domain.events import Actor
from bot.domain.outbox import Outbox
from bot.domain.state import LearnerState
from bot.scheduler.job import Job
from bot.scheduler.runner import Handler, RetryLater
from bot.scheduler.store import JobStore
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger(__name__)

TOLD_TTL_S = 90 * 24 * 3600
UNKNOWN_ROLE = 10011
UNKNOWN_MEMBER = 10007
REASON = "Passed the module test"
CANNOT = (
    "I couldn't give <@{user}> the pass role <@&{role}> of cohort `{cohort}`: {why} "
    "Their pass is on their record either way, and I'll try the role again when they run "
    "`/tutor certificate` or the next learner passes. I won't tell you again about this role."
)
NO_RIGHTS = (
    "Discord says I may not. I need the Manage Roles permission, and my own role must be above "
    "<@&{role}> in Server Settings → Roles."
)
RATE_LIMITED = 429
GONE = "that role no longer exists. Set another with `/cohort policy {cohort} pass-role @role`, or `none`."


class PassRoles:
    def __init__(
        self,
        redis: AsyncRedis,
        keys: KeyBuilder,
        http: discord.http.HTTPClient,
        outbox: Callable[[], Outbox],
        learners: RedisLearnerStore,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.cohorts = CohortStore(redis, keys)
        self.http = http
        self.outbox = outbox
        """Where the facilitator is told (their DM, or their course thread if DMs are closed)."""

        self.jobs = JobStore(redis, keys)
        self.now = now
        """The engine's clock: the one passes are stamped with."""
        self.sweep = PassRoleSweep(self.cohorts, learners, self.jobs, now)

    def timed_jobs(self) -> dict[str, Handler]:
        """The grant, and the sweep that makes up a grant whose pass listener never ran."""
        return {GRANT: self.run_job, SWEEP: self.sweep}

    async def on_pass(self, actor: Actor, state: LearnerState) -> None:
        """The pass is committed: hand the grant to the scheduler (run now, by any Discord process)."""
        if actor.platform != "discord" or actor.tenant == DM_TENANT:
            return
        cohort = await self._cohort(actor)
        role = cohort.settings.pass_role if cohort is not None else None
        if role is None:
            return
        if await self.jobs.schedule(grant_job(actor.tenant, actor.user, role, self.now())):
            log.info("discord: pass role %s of %s for %s handed to the scheduler", role, actor.tenant, actor)

    async def run_job(self, job: Job) -> None:
        """The grant job: the cohort's role as it is now (it may have changed since the pass)."""
        actor = Actor(platform="discord", tenant=job.data["guild"], user=job.data["user"])
        await self.grant(actor, later=True)

    async def grant(self, actor: Actor, *, later: bool = False) -> bool | None:
        """Give the learner their cohort's pass role. None when there is no role to give;
        False when Discord refused (logged; the facilitator told once). With `later` (the
        scheduler's job), a rate limit raises `RetryLater` for the job to run again."""
        if actor.platform != "discord" or actor.tenant == DM_TENANT:
            return None
        cohort = await self._cohort(actor)
        role = cohort.settings.pass_role if cohort is not None else None
        if cohort is None or role is None:
            return None
        try:
            await self.http.add_role(actor.tenant, actor.user, role, reason=REASON)
        except discord.RateLimited as limited:
            return self._limited(actor, role, limited.retry_after, later)
        except discord.HTTPException as error:
            if error.status == RATE_LIMITED:
                return self._limited(actor, role, _retry_after(error), later)
            log.warning(
                "discord: pass role %s of cohort %s not granted to %s: http %s code %s",
                role,
                cohort.name,
                actor,
                error.status,
                error.code,
            )
            if error.code != UNKNOWN_MEMBER:  # a learner who left: nobody needs to act
                why = GONE.format(cohort=cohort.name) if error.code == UNKNOWN_ROLE else NO_RIGHTS
                await self._tell_once(actor, cohort, role, why.format(role=role))
            return False
        await self._forget_told(actor, cohort, role)
        log.info("discord: pass role %s granted to %s", role, actor)
        return True

    def _limited(self, actor: Actor, role: str, retry_after_s: float, later: bool) -> bool:
        log.warning(
            "discord: pass role %s for %s rate limited (retry after %.1fs)", role, actor, retry_after_s
        )
        if later:
            raise RetryLater(retry_after_s, f"pass role {role} for {actor} rate limited")
        return False

    async def _cohort(self, actor: Actor) -> Cohort | None:
        tenant = Tenant(platform="discord", tenant=actor.tenant)
        try:
            return await self.cohorts.of_learner(tenant, actor.user)
        except (RedisError, ValueError):
            log.warning("discord: cohort of %s unreadable; no pass role granted", actor)
            return None

    async def _tell_once(self, learner: Actor, cohort: Cohort, role: str, why: str) -> None:
        key = self.keys.pass_role_told("discord", learner.tenant, cohort.name, role)
        try:
            first = bool(await self.redis.set(key, b"1", nx=True, ex=TOLD_TTL_S))
        except RedisError:
            first = True  # telling twice beats never telling
        if not first:
            return
        facilitator = cohort.set_by.get("pass-role", cohort.created_by)
        text = CANNOT.format(user=learner.user, role=role, cohort=cohort.name, why=why)
        try:
            await self.outbox().send(
                Actor(platform="discord", tenant=learner.tenant, user=facilitator), [note(text)]
            )
        except Exception as error:  # their DMs are closed too: the log is all there is
            log.warning("discord: facilitator %s not told about pass role %s: %s", facilitator, role, error)

    async def _forget_told(self, learner: Actor, cohort: Cohort, role: str) -> None:
        with contextlib.suppress(RedisError):
            await self.redis.delete(self.keys.pass_role_told("discord", learner.tenant, cohort.name, role))


def _retry_after(error: discord.HTTPException) -> float:
    """The wait Discord's 429 asked for (its `Retry-After` header, seconds), else a few seconds."""
    headers = getattr(error.response, "headers", None) or {}
    try:
        return max(float(headers.get("Retry-After", "")), 1.0)
    except ValueError:
        return 5.0
