"""Neutral inbound events. Adapters translate platform payloads into these and nothing else."""

from __future__ import annotations

from typing import Annotated, Literal, TypeGuard, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Platform = Literal["terminal", "slack", "discord", "sim"]
IdPart = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class Actor(BaseModel):
    """Who sent an event: a user of one tenant (Slack workspace, Discord guild) of one platform."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    tenant: IdPart
    user: IdPart

    def __hash__(self) -> int:
        # The engine keys its caches by actor, several lookups per event: a tuple of two ids
        # hashes faster than pydantic's hash of all three fields, and equal actors still hash
        # alike (the same ids on two platforms only share a bucket).
        return hash((self.tenant, self.user))

    def __str__(self) -> str:
        return f"{self.platform}:{self.tenant}:{self.user}"


def clean_text(text: str) -> str:
    """Text as valid Unicode: a lone surrogate (which a platform's JSON may carry as `\\ud83d`,
    and which no encoder can write) becomes U+FFFD; a well-formed pair becomes its character."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


CleanText = Annotated[str, AfterValidator(clean_text)]
"""Text from a platform, cleaned where every event is built, so no platform needs to remember."""

CommandName = Literal["start", "resume", "progress", "help", "menu", "pause"]

NavigationAction = Literal["menu", "resume", "progress", "help"]
"""Buttons that only show something: valid from any old message, so they carry no token."""

StepAction = Literal["open", "next", "back", "answer", "retake", "begin", "say", "retry", "practice"]
"""Buttons that act on the current step: they carry its token."""

GoAction = Literal["go"]
"""A button sent outside any card (a lesson's release DM): it opens its unit whatever the
step, as the menu would, so it carries no token and never goes stale."""

Action = Literal[NavigationAction, StepAction, GoAction]
"""Every button the engine makes. A press naming anything else is not one of ours and never
becomes a `Press`: the adapter answers it as an unknown button."""

NAVIGATION_ACTIONS: frozenset[NavigationAction] = frozenset(get_args(NavigationAction))


def is_navigation(action: Action) -> TypeGuard[NavigationAction]:
    return action in NAVIGATION_ACTIONS


class Command(BaseModel):
    """A navigator command: typed (`resume`), a slash command, or a menu button."""

    kind: Literal["command"] = "command"
    actor: Actor
    name: CommandName


class Press(BaseModel):
    """A button press. `token` is the step token the button was rendered with."""

    kind: Literal["press"] = "press"
    actor: Actor
    action: Action
    arg: Annotated[CleanText, StringConstraints(max_length=48)] = ""
    token: Annotated[str, StringConstraints(max_length=24)] = ""


class Text(BaseModel):
    """Free text from the learner: an answer to the advisor, or a word the navigator knows."""

    kind: Literal["text"] = "text"
    actor: Actor
    text: CleanText


Event = Annotated[Command | Press | Text, Field(discriminator="kind")]
