"""What the service asks of a platform: who is in a channel or holds a role, and people's names.

Each adapter implements `Directory` with its API calls; the shell has `ShellDirectory`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.cohorts.models import Tenant


class DirectoryRefusal(Exception):
    """The platform cannot answer (a missing permission or intent): `str()` is one line for the
    facilitator, saying what to do instead."""


class Directory(Protocol):
    async def channel_members(self, tenant: Tenant, channel: str) -> list[str]:
        """User ids of a channel's members (all pages), people only."""

    async def role_members(self, tenant: Tenant, role: str) -> list[str]:
        """User ids of the holders of a role (Discord) or user group (Slack)."""

    async def display_names(self, tenant: Tenant, users: Sequence[str]) -> dict[str, str]:
        """Names for as many of these users as the platform tells; missing ones are left out."""


class ShellDirectory:
    """At the shell there is no platform connection: people are named by user id."""

    async def channel_members(self, tenant: Tenant, channel: str) -> list[str]:
        raise DirectoryRefusal("From the shell, enrol people by user id (channels need the running bot).")

    async def role_members(self, tenant: Tenant, role: str) -> list[str]:
        raise DirectoryRefusal("From the shell, enrol people by user id (roles need the running bot).")

    async def display_names(self, tenant: Tenant, users: Sequence[str]) -> dict[str, str]:
        return {}
