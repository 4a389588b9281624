"""Share my pass: a learner who passed opts into a shout-out in their cohort's channel.

Nothing is posted without the learner's press (the design's rule: nothing private in a channel
unless the learner opts in). The cohort names its channel with `/cohort channel`. A press posts
once: the first press claims the learner's mark in Redis (SET NX) before posting, so a second
press, a double click or a platform retry posts nothing more; a post that fails gives the mark
back so the learner can try again. The texts carry `bot.cohorts.answers` markers (the learner
and the channel), which each platform's renderer turns into its mentions.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.exceptions import RedisError

from bot.cohorts.answers import channel, person
from bot.cohorts.models import Tenant
from bot.cohorts.store import AsyncRedis, CohortStore
from bot.course.models import Module
from bot.domain.codec import UnreadableState, decode
from bot.domain.events import Actor
from bot.storage.base import LearnerStore
from bot.storage.keys import KeyBuilder

log = logging.getLogger(__name__)

ACTION = "pass:share"
"""The button's action id (Slack) / custom id (Discord): it carries nothing else, since the
press itself says who the learner is."""
LABEL = "Share my pass"
OFFER = (
    "Want your cohort to know? Press **Share my pass** and I'll congratulate you in your cohort's "
    "channel. Nothing is posted unless you press it."
)
SHARED_TTL_S = 365 * 24 * 3600
NOT_PASSED = "There is no pass to share yet: pass the module test first. Nothing was posted."
NO_COHORT = "You are not in a cohort here, so there is no cohort channel to post in. Nothing was posted."
NO_CHANNEL = (
    "Your cohort has no channel for shout-outs yet (a facilitator sets one with `/cohort channel`), "
    "so nothing was posted. Ask them, then press Share my pass again."
)
FAILED = (
    "I couldn't post in your cohort's channel (am I a member of it?). Nothing was posted; try again later."
)

Post = Callable[[str, str], Awaitable[None]]
"""Posts marker text in a channel (id) of the learner's tenant; raises when it cannot."""


@dataclass(frozen=True)
class PassSharing:
    redis: AsyncRedis
    keys: KeyBuilder
    learners: LearnerStore
    module: Module

    async def share(self, actor: Actor, post: Post) -> str:
        """Post the learner's shout-out once; the line (with markers) to tell them what happened."""
        if not await self._passed(actor):
            return NOT_PASSED
        cohorts = CohortStore(self.redis, self.keys)
        cohort = await cohorts.of_learner(Tenant(platform=actor.platform, tenant=actor.tenant), actor.user)
        if cohort is None:
            return NO_COHORT
        if cohort.channel is None:
            return NO_CHANNEL
        key = self.keys.pass_shared(actor)
        if not await self.redis.set(key, cohort.channel.encode(), nx=True, ex=SHARED_TTL_S):
            earlier = await self.redis.get(key)
            where = channel(earlier.decode()) if isinstance(earlier, bytes) else "your cohort's channel"
            return f"You already shared your pass in {where}; I post it only once."
        text = f"🎉 {person(actor.user)} passed **{self.module.title}**. Congratulations!"
        try:
            await post(cohort.channel, text)
        except Exception as error:  # not in the channel, or the platform refused
            log.warning(
                "pass shout-out of %s not posted in %s: %s", actor, cohort.channel, type(error).__name__
            )
            try:
                await self.redis.delete(key)
            except RedisError:
                log.warning("the share mark of %s stays; the learner cannot retry for now", actor)
            return FAILED
        log.info("pass shout-out of %s posted in %s", actor, cohort.channel)
        return f"Shared in {channel(cohort.channel)}. Congratulations!"

    async def _passed(self, actor: Actor) -> bool:
        stored = await self.learners.load(actor)
        if stored is None:
            return False
        try:
            return decode(stored.data).progress.passed
        except UnreadableState:
            return False
