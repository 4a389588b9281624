"""Who may act on a cohort, asked at every action, whatever the platform's UI already hides.

- Tenant admins may do anything in their tenant: Slack workspace owners and admins (asked of
  `users.info`, cached for minutes), Discord members with Manage Server (the permissions
  Discord computed for the interaction), and operators at the shell.
- A cohort's added facilitators, and on Discord members holding the cohort's facilitator
  role, may act on that cohort.

Rights are per tenant: a `Caller` carries its tenant, and the service only ever reads that
tenant's cohorts, so no one reaches another workspace's or server's learners.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.store import CohortStore
from bot.domain.events import Actor, IdPart, Platform

log = logging.getLogger("tutorbot.cohorts")


class Caller(BaseModel):
    """Who sent a `/cohort` command, as the adapter read it from the payload."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    tenant: IdPart
    user: IdPart
    name: str = ""
    roles: frozenset[str] = frozenset()
    """Discord: the ids of the roles the member holds."""
    manages_tenant: bool | None = None
    """What the payload says of the caller's tenant rights (Discord: Manage Server in the
    interaction's `member.permissions`); None when the platform must be asked (Slack)."""
    operator: bool = False
    """The shell: someone with access to the deployment."""

    @property
    def home(self) -> Tenant:
        return Tenant(platform=self.platform, tenant=self.tenant)

    @property
    def actor(self) -> Actor:
        return Actor(platform=self.platform, tenant=self.tenant, user=self.user)


class TenantAdmins(Protocol):
    async def is_admin(self, caller: Caller) -> bool:
        """Whether the caller administers their own tenant (workspace, server)."""


class PayloadAdmins:
    """Trusts what the platform put in the payload (Discord computes member permissions itself)."""

    async def is_admin(self, caller: Caller) -> bool:
        return caller.manages_tenant is True


class SlackWorkspaceAdmins:
    """Workspace owners and admins, asked of `users.info` and remembered for `ttl_s` seconds
    (minutes, not hours: a demoted admin loses the rights soon). A failed call grants nothing
    and is not remembered."""

    def __init__(
        self,
        client: Any,
        token_for: Callable[[Caller], Awaitable[str]],
        *,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.token_for = token_for
        self.ttl_s = ttl_s
        self.clock = clock
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}

    async def is_admin(self, caller: Caller) -> bool:
        key = (caller.tenant, caller.user)
        now = self.clock()
        known = self._known.get(key)
        if known and now - known[0] < self.ttl_s:
            return known[1]
        try:
            response = await self.client.users_info(token=await self.token_for(caller), user=caller.user)
        except Exception as exc:  # SlackApiError, a network error: refuse, say why in the log
            log.warning("users.info failed for %s:%s: %s", caller.tenant, caller.user, type(exc).__name__)
            return False
        user = response.get("user") or {}
        # A user of another workspace (or org) is never an admin of this one.
        org = (user.get("enterprise_user") or {}).get("enterprise_id")
        ours = user.get("team_id") == caller.tenant or org == caller.tenant
        admin = ours and bool(user.get("is_admin") or user.get("is_owner"))
        self._known[key] = (now, admin)
        if len(self._known) > 10_000:
            self._known.pop(next(iter(self._known)))
        return admin


class Rights:
    def __init__(self, store: CohortStore, admins: TenantAdmins) -> None:
        self.store = store
        self.admins = admins

    async def is_admin(self, caller: Caller) -> bool:
        return caller.operator or await self.admins.is_admin(caller)

    async def may_manage(self, caller: Caller, cohort: Cohort) -> bool:
        if cohort.facilitator_role and cohort.facilitator_role in caller.roles:
            return True
        if await self.store.is_facilitator(caller.home, cohort.name, caller.user):
            return True
        return await self.is_admin(caller)

    async def manageable(self, caller: Caller, cohorts: list[Cohort]) -> list[Cohort]:
        """The cohorts the caller may see (all of them for an admin)."""
        if await self.is_admin(caller):
            return cohorts
        mine = await self.store.facilitated_by(caller.home, [c.name for c in cohorts], caller.user)
        return [
            c
            for c in cohorts
            if c.name in mine or (c.facilitator_role and c.facilitator_role in caller.roles)
        ]
