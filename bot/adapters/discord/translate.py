"""Discord payloads → neutral events. Pure functions: no I/O, no state, no course logic.

Tenants. A guild is a tenant: the same person in two guilds is two learners, and guilds never
see each other's data. A DM has no guild, so DM payloads (learner text, buttons on the cards
in the DM, `/tutor` typed in the DM) belong to the learner's *DM tenant*: the tenant whose
course their DM is currently showing. It is `dm` (`DM_TENANT`) for someone who started in the
DM, and a guild id after `/tutor` in that guild (the app remembers it per user; see
`app.DmContext`). Discord user ids are global, so `discord:dm:<user>` is stable per user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.commands import command_name
from bot.adapters.discord.models import (
    COMPONENT_BUTTON,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    CommandData,
    ComponentData,
    DirectMessage,
    Interaction,
)
from bot.adapters.payloads import parse
from bot.domain.events import Actor, Command, Press, Text
from bot.render.actions import button_index, decode

COMMAND_NAME = "tutor"
ACTION_OPTION = "action"
DM_TENANT = "dm"
"""Tenant of a learner who started in their DM rather than in a guild."""


def actor_for(guild_id: str | None, user_id: str, dm_tenant: str = DM_TENANT) -> Actor:
    return Actor(platform="discord", tenant=guild_id or dm_tenant, user=user_id)


def parse_interaction(raw: Mapping[str, Any]) -> Interaction | None:
    return parse(Interaction, raw)


def parse_message(raw: Mapping[str, Any]) -> DirectMessage | None:
    return parse(DirectMessage, raw)


def command(interaction: Interaction, dm_tenant: str = DM_TENANT) -> Command | None:
    """`/tutor` as a navigator command, or None if the payload is not our slash command."""
    if interaction.type != INTERACTION_COMMAND:
        return None
    data = parse(CommandData, interaction.data)
    if data is None or data.name != COMMAND_NAME or data.type != 1:
        return None
    word = next((str(o.value) for o in data.options if o.name == ACTION_OPTION and o.value is not None), "")
    actor = actor_for(interaction.guild_id, interaction.user.id, dm_tenant)
    return Command(actor=actor, name=command_name(word))


@dataclass(frozen=True)
class Click:
    """A translated button click. `event` is None for a button that is not one of ours."""

    actor: Actor
    event: Press | None
    button_index: int | None = None
    custom_id: str = ""


def click(interaction: Interaction, dm_tenant: str = DM_TENANT) -> Click | None:
    """None when the payload is not a button click at all."""
    if interaction.type != INTERACTION_COMPONENT:
        return None
    data = parse(ComponentData, interaction.data)
    if data is None or data.component_type != COMPONENT_BUTTON:
        return None
    actor = actor_for(interaction.guild_id, interaction.user.id, dm_tenant)
    # decode takes the actor from the click, never from the button: whoever presses acts for themselves.
    return Click(actor, decode(data.custom_id, actor), button_index(data.custom_id), data.custom_id)


def dm_text(message: DirectMessage, dm_tenant: str = DM_TENANT) -> Text | None:
    """A learner's DM to the bot, or None for anything else: guild messages, bots (including
    ourselves), webhooks, system messages (joins, pins), empty text."""
    if message.guild_id is not None or message.author.bot or message.webhook_id is not None:
        return None
    if message.type not in (0, 19):  # DEFAULT and REPLY are things a person typed
        return None
    text = message.content.strip()
    if not text:
        return None
    return Text(actor=actor_for(None, message.author.id, dm_tenant), text=text)
