"""Which learners were told a lesson is open: so each hears it once, whoever sends it.

A learner's mark is taken (`sending:<when>`) before their DM goes out and settled (`sent`)
after; a process that dies in between leaves `sending`, and the job taken over asks the platform
whether that DM went out (`began` says when it was taken) before sending it. A DM that fails
gives its mark back, to be tried again.
"""

from __future__ import annotations

from bot.cohorts.models import Tenant
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

SENDING = "sending"
KEEP_S = 400 * 86400
"""Marks outlive any course run; a cohort's keys go when it does."""


class ReleaseMarks:
    def __init__(self, client: AsyncRedis, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys

    def _key(self, tenant: Tenant, cohort: str, lesson_id: str) -> str:
        return self.keys.release_told(tenant.platform, tenant.tenant, cohort, lesson_id)

    async def take(self, tenant: Tenant, cohort: str, lesson_id: str, user: str, now: float = 0.0) -> bool:
        """True when nobody has told (or is telling) `user` yet: now (`now`) this caller is."""
        key = self._key(tenant, cohort, lesson_id)
        taken = bool(await self.client.hsetnx(key, user, f"{SENDING}:{now!r}"))
        if taken:
            await self.client.expire(key, KEEP_S)
        return taken

    async def began(self, tenant: Tenant, cohort: str, lesson_id: str, user: str) -> float | None:
        """When the telling of `user` began that was never settled (a process died while their
        DM was on its way; 0.0 when the mark says no time), or None when it is not so."""
        raw = await self.client.hget(self._key(tenant, cohort, lesson_id), user)
        mark = _text(raw) if raw is not None else ""
        if not mark.startswith(SENDING):
            return None
        try:
            return float(mark.partition(":")[2] or 0.0)
        except ValueError:
            return 0.0

    async def settle(self, tenant: Tenant, cohort: str, lesson_id: str, user: str) -> None:
        await self.client.hset(self._key(tenant, cohort, lesson_id), user, "sent")

    async def give_back(self, tenant: Tenant, cohort: str, lesson_id: str, user: str) -> None:
        await self.client.hdel(self._key(tenant, cohort, lesson_id), user)

    async def told(self, tenant: Tenant, cohort: str, lesson_id: str) -> dict[str, str]:
        raw = await self.client.hgetall(self._key(tenant, cohort, lesson_id))
        return {_text(user): _text(mark) for user, mark in raw.items()}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
