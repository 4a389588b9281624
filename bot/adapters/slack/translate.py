"""Slack payloads → neutral events. Pure functions: no I/O, no state, no course logic.

Each function takes a payload already validated by the models in `models.py` and returns the
`Event` for the engine, or None when the payload is not for the engine (a bot's own message,
an edit, a forged button). The caller decides what to tell the learner about a None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from bot.adapters.commands import command_name
from bot.adapters.payloads import parse
from bot.adapters.slack.models import (
    BlockActionsPayload,
    EventEnvelope,
    MessageEvent,
    SlashCommandForm,
    ViewSubmissionPayload,
)
from bot.domain.events import Actor, Command, Press, Text
from bot.render.actions import button_index, decode

HOME_RESUME_ACTION = "tutor_home_resume"
"""The App Home tab's own Resume button (not an engine button, so it carries no step token)."""

HOME_START_ACTION = "tutor_home_start"
"""The App Home tab's Start button, shown to someone who has not started yet."""


def actor_for(tenant: str, user_id: str) -> Actor:
    """Installations are tenants (see `tenancy.py`): the same person in two workspaces is two
    learners, except within one org-wide Grid install, where the org is the tenant."""
    return Actor(platform="slack", tenant=tenant, user=user_id)


def slash_command(form: SlashCommandForm) -> Command:
    """`/tutor <word>`: the first word names the command."""
    words = form.text.split()
    return Command(actor=actor_for(form.tenant, form.user_id), name=command_name(words[0] if words else ""))


@dataclass(frozen=True)
class Click:
    """A translated button click. `event` is None for a button that is not one of ours."""

    actor: Actor
    event: Press | Command | None
    button_index: int | None = None
    """Which button of its card was pressed (engine buttons only)."""


def click(payload: BlockActionsPayload) -> Click | None:
    """None when the payload names no workspace (nothing can be answered for it)."""
    team = payload.tenant
    if team is None:
        return None
    who = actor_for(team, payload.user.id)
    action = payload.action
    if action.action_id == HOME_RESUME_ACTION:
        return Click(who, Command(actor=who, name="resume"))
    if action.action_id == HOME_START_ACTION:
        return Click(who, Command(actor=who, name="start"))
    # Our buttons carry the same encoded string as action_id and value; insist on both, so a
    # payload edited in one place only is refused rather than half-trusted.
    if action.value != action.action_id:
        return Click(who, None)
    return Click(who, decode(action.value, who), button_index(action.value))


def dm_text(envelope: EventEnvelope, event: MessageEvent) -> Text | None:
    """A learner's DM to the bot, or None for anything else: other channel types, bots
    (including ourselves), edits, joins and other subtypes, empty text."""
    if event.channel_type != "im" or event.subtype is not None or event.bot_id or event.user is None:
        return None
    text = _unescape(event.text).strip()
    if not text:
        return None
    return Text(actor=actor_for(envelope.tenant, event.user), text=text)


def _unescape(text: str) -> str:
    """Slack escapes exactly `&`, `<` and `>` in message text; the engine wants what was typed.
    (`&amp;` last, so a typed `&lt;` stays `&lt;`.)"""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_block_actions(body: Mapping[str, Any]) -> BlockActionsPayload | None:
    return parse(BlockActionsPayload, body)


def parse_view_submission(body: Mapping[str, Any]) -> ViewSubmissionPayload | None:
    return parse(ViewSubmissionPayload, body)


def parse_slash(body: Mapping[str, Any]) -> SlashCommandForm | None:
    return parse(SlashCommandForm, body)


InnerEvent = TypeVar("InnerEvent", bound=BaseModel)


def parse_event(body: Mapping[str, Any], model: type[InnerEvent]) -> tuple[EventEnvelope, InnerEvent] | None:
    """The envelope and its inner event as `model`, or None if either is malformed."""
    envelope = parse(EventEnvelope, body)
    event = parse(model, envelope.event) if envelope is not None else None
    return (envelope, event) if envelope is not None and event is not None else None
