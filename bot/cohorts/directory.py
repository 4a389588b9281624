"""What the service asks of a platform: who is in a channel or holds a role, people's names,
and whether the bot can do what a setting asks of it (grant a role, post in a channel).

Each adapter implements `Directory` with its API calls; the shell has `ShellDirectory`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.cohorts.models import Tenant


class DirectoryRefusal(Exception):
    """The platform cannot answer (a missing permission or intent): `str()` is one line for the
    facilitator, saying what to do instead."""


class Concern(BaseModel):
    """What the platform says about a setting before it is made: `refuse` (nothing changes, it
    cannot work at all) or a warning shown beside the change (it works once the server is fixed)."""

    model_config = ConfigDict(frozen=True)

    text: str
    refuse: bool = False


class Directory(Protocol):
    async def channel_members(self, tenant: Tenant, channel: str) -> list[str]:
        """User ids of a channel's members (all pages), people only."""

    async def role_members(self, tenant: Tenant, role: str) -> list[str]:
        """User ids of the holders of a role (Discord) or user group (Slack)."""

    async def display_names(self, tenant: Tenant, users: Sequence[str]) -> dict[str, str]:
        """Names for as many of these users as the platform tells; missing ones are left out."""

    async def role_concern(self, tenant: Tenant, role: str) -> Concern | None:
        """Whether the bot can grant `role` (the cohort's pass role); None when it can, or
        when the platform cannot be asked."""

    async def channel_concern(self, tenant: Tenant, channel: str) -> Concern | None:
        """Whether the bot can post in `channel` (the cohort's channel); None when it can."""


class ShellDirectory:
    """At the shell there is no platform connection: people are named by user id."""

    async def channel_members(self, tenant: Tenant, channel: str) -> list[str]:
        raise DirectoryRefusal("From the shell, enrol people by user id (channels need the running bot).")

    async def role_members(self, tenant: Tenant, role: str) -> list[str]:
        raise DirectoryRefusal("From the shell, enrol people by user id (roles need the running bot).")

    async def display_names(self, tenant: Tenant, users: Sequence[str]) -> dict[str, str]:
        return {}

    async def role_concern(self, tenant: Tenant, role: str) -> Concern | None:
        return None  # the shell has no platform connection to ask

    async def channel_concern(self, tenant: Tenant, channel: str) -> Concern | None:
        return None
