"""What the bot may do in a server, computed from Discord's REST objects as Discord does.

Permissions in a channel: the @everyone role's, or'd with the member's roles'; Administrator
grants all; then the channel's overwrites, for @everyone, for the member's roles together
(denies, then allows), and for the member (Discord's "Permission Overwrites" order). A role
can be granted by a member with Manage Roles whose highest role is above it (by position; on a
tie the role with the lower id is the higher, as discord.py's `Role` orders them), and never a
managed role (a bot's or an integration's) or @everyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import discord

ADMINISTRATOR = discord.Permissions.administrator.flag
MANAGE_ROLES = discord.Permissions.manage_roles.flag
ALL = discord.Permissions.all().value

POSTING = {
    "View Channel": discord.Permissions.view_channel.flag,
    "Send Messages": discord.Permissions.send_messages.flag,
    "Create Private Threads": discord.Permissions.create_private_threads.flag,
    "Send Messages in Threads": discord.Permissions.send_messages_in_threads.flag,
    "Read Message History": discord.Permissions.read_message_history.flag,
}
"""What the cohort's channel needs: shout-outs are posted there, and learners whose DMs are
closed continue in private threads there, which a nudge's takeover reads to learn whether the
nudge went out (`bot.adapters.discord.outbox`)."""

Overwrites = Mapping[str, tuple[int, int]]
"""Target id (role or member) → (allow, deny)."""


def overwrites_of(channel: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    return {
        str(o["id"]): (int(o["allow"]), int(o["deny"])) for o in channel.get("permission_overwrites") or []
    }


def server_permissions(member: Mapping[str, Any], guild: str, roles: Mapping[str, int]) -> int:
    """The member's permissions in the server (`roles`: role id → its permissions)."""
    base = roles.get(guild, 0)
    for role in member.get("roles") or []:
        base |= roles.get(str(role), 0)
    return ALL if base & ADMINISTRATOR else base


def channel_permissions(
    member: Mapping[str, Any], guild: str, roles: Mapping[str, int], overwrites: Overwrites
) -> int:
    base = server_permissions(member, guild, roles)
    if base & ADMINISTRATOR:
        return ALL
    allow, deny = overwrites.get(guild, (0, 0))
    base = (base & ~deny) | allow
    role_allow = role_deny = 0
    for role in member.get("roles") or []:
        a, d = overwrites.get(str(role), (0, 0))
        role_allow, role_deny = role_allow | a, role_deny | d
    base = (base & ~role_deny) | role_allow
    a, d = overwrites.get(str((member.get("user") or {}).get("id")), (0, 0))
    return (base & ~d) | a


def missing_to_post(permissions: int) -> list[str]:
    """The names of what the channel needs and the bot lacks there, in Discord's words."""
    return [name for name, flag in POSTING.items() if not permissions & flag]


def _rank(role: Mapping[str, Any]) -> tuple[int, int]:
    return int(role.get("position", 0)), -int(role["id"])


def highest_role(member: Mapping[str, Any], roles: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    held = {str(r) for r in member.get("roles") or []}
    mine = [role for role in roles if str(role["id"]) in held]
    return max(mine, key=_rank) if mine else None


def is_above(role: Mapping[str, Any] | None, other: Mapping[str, Any]) -> bool:
    return role is not None and _rank(role) > _rank(other)
