"""Pydantic models of the Discord payloads the adapter reads: the edge where input is validated.

Only the fields the adapter uses are declared; Discord adds fields freely, so extras are
ignored. Snowflakes arrive as strings (JSON) or ints (discord.py objects) and are kept as
strings of digits, so they fit `bot.domain.events.IdPart`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, model_validator

INTERACTION_COMMAND = 2
INTERACTION_COMPONENT = 3
COMPONENT_BUTTON = 2


def _snowflake(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Snowflake = Annotated[str, BeforeValidator(_snowflake), StringConstraints(pattern=r"^[0-9]{1,20}$")]


class _Edge(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Edge):
    id: Snowflake
    bot: bool = False


class CommandOption(_Edge):
    name: str
    type: int
    value: str | int | float | bool | None = None


class CommandData(_Edge):
    """`data` of an APPLICATION_COMMAND interaction."""

    name: str
    type: int = 1
    options: list[CommandOption] = []


class ComponentData(_Edge):
    """`data` of a MESSAGE_COMPONENT interaction."""

    # Lengths beyond Discord's 100 are not refused here: the button is then not one of ours,
    # and the learner is answered politely instead of not at all.
    custom_id: Annotated[str, StringConstraints(max_length=2000)]
    component_type: int


class MessageRef(_Edge):
    id: Snowflake
    channel_id: Snowflake | None = None


class Interaction(_Edge):
    """An INTERACTION_CREATE payload. In a guild the user is `member.user`; in a DM, `user`."""

    id: Snowflake
    application_id: Snowflake
    type: int
    token: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    guild_id: Snowflake | None = None
    channel_id: Snowflake | None = None
    user: User
    data: dict[str, Any] = {}
    message: MessageRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _member_user(cls, value: Any) -> Any:
        if isinstance(value, dict) and "user" not in value and isinstance(value.get("member"), dict):
            return {**value, "user": value["member"].get("user")}
        return value


class DirectMessage(_Edge):
    """A MESSAGE_CREATE payload (only DMs reach the engine)."""

    id: Snowflake
    channel_id: Snowflake
    guild_id: Snowflake | None = None
    author: User
    content: str = ""
    type: int = 0
    webhook_id: Snowflake | None = None
