"""Neutral inbound events. Adapters translate platform payloads into these and nothing else."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Platform = Literal["terminal", "slack", "discord", "sim"]
IdPart = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class Actor(BaseModel):
    """Who sent an event: a user of one tenant (Slack workspace, Discord guild) of one platform."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    tenant: IdPart
    user: IdPart

    def __str__(self) -> str:
        return f"{self.platform}:{self.tenant}:{self.user}"


CommandName = Literal["start", "resume", "progress", "help", "menu"]


class Command(BaseModel):
    """A navigator command: typed (`resume`), a slash command, or a menu button."""

    kind: Literal["command"] = "command"
    actor: Actor
    name: CommandName


class Press(BaseModel):
    """A button press. `token` is the step token the button was rendered with."""

    kind: Literal["press"] = "press"
    actor: Actor
    action: Annotated[str, StringConstraints(min_length=1, max_length=24)]
    arg: Annotated[str, StringConstraints(max_length=48)] = ""
    token: Annotated[str, StringConstraints(max_length=24)] = ""


class Text(BaseModel):
    """Free text from the learner: an answer to the advisor, or a word the navigator knows."""

    kind: Literal["text"] = "text"
    actor: Actor
    text: str


Event = Annotated[Command | Press | Text, Field(discriminator="kind")]
