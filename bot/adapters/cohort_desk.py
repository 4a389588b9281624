"""What the Slack and Discord adapters share for `/cohort`: the cohort service built around the
adapter's own outbox (learners' one-line notices and welcome DMs go out like any card), its
directory and its way of telling tenant admins, and a guard so that a failure answers the
facilitator in one line instead of leaving them with nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from bot.advisor.budget import BudgetGuard
from bot.cohorts.answers import Answer, EditForm, refusal
from bot.cohorts.audit import AuditLog
from bot.cohorts.directory import Directory
from bot.cohorts.rights import Caller, Rights, TenantAdmins
from bot.cohorts.service import CohortService
from bot.cohorts.store import AsyncRedis, CohortStore
from bot.domain.outbox import Outbox
from bot.engine.engine import Engine
from bot.nudges.zones import ZoneOf
from bot.scheduler.store import JobStore
from bot.storage.base import StoreUnavailable
from bot.storage.keys import KeyBuilder

log = logging.getLogger(__name__)
T = TypeVar("T")

UNAVAILABLE = "The course is briefly unavailable; nothing changed. Try again in a minute."
FAILED = "Something went wrong on our side; nothing changed."


class CohortDesk:
    def __init__(self, service: CohortService) -> None:
        self.service = service

    @classmethod
    def build(
        cls,
        *,
        engine: Engine,
        redis: AsyncRedis,
        keys: KeyBuilder,
        outbox: Outbox,
        directory: Directory,
        admins: TenantAdmins,
        budget: BudgetGuard | None = None,
        zone_of: dict[str, ZoneOf] | None = None,
    ) -> CohortDesk:
        store = CohortStore(redis, keys)
        service = CohortService(
            store=store,
            audit=AuditLog(redis, keys),
            rights=Rights(store, admins),
            engine=engine,
            directory=directory,
            outbox=outbox,
            budget=budget,
            jobs=JobStore(redis, keys),
            clock=engine.clock,  # the process's one clock, which tests can move
            zone_of=zone_of,
        )
        return cls(service)

    async def run(self, caller: Caller, text: str) -> Answer:
        return await self._guarded(caller, "command", self.service.run_text(caller, text))

    async def press(self, caller: Caller, action: str, value: str) -> Answer:
        return await self._guarded(caller, "button", self.service.press(caller, action, value))

    async def form(self, caller: Caller, value: str) -> EditForm | Answer:
        return await self._guarded(caller, "form", self.service.form(caller, value))

    async def edited(self, caller: Caller, value: str, text: str) -> Answer:
        return await self._guarded(caller, "form", self.service.edited(caller, value, text))

    async def _guarded(self, caller: Caller, what: str, work: Awaitable[T]) -> T | Answer:
        try:
            return await work
        except StoreUnavailable:
            log.warning("cohort %s of %s:%s: Redis unavailable", what, caller.platform, caller.tenant)
            return refusal(UNAVAILABLE)
        except Exception:
            log.exception("cohort %s of %s:%s failed", what, caller.platform, caller.tenant)
            return refusal(FAILED)
