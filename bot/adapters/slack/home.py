"""The App Home tab: the learner's progress, rendered from the engine's own progress card.

The engine answers `Command("progress")` with Messages; they are rendered with the ordinary
Slack renderer and stacked into a home view. Their buttons are the engine's own, so pressing
one from the Home tab behaves as in the DM (the replies go to the DM).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.slack.translate import HOME_RESUME_ACTION, HOME_START_ACTION
from bot.domain.messages import Message
from bot.render.slack import render_slack

HOME_MAX_BLOCKS = 100
"""Slack's limit for a view (a message allows 50)."""

TITLE = "tutorbot"
COURSE_NOTE = "Your course runs in this app's *Messages* tab. Type `help` there, or use `/tutor` anywhere."


def home_view(progress: Sequence[Message]) -> dict[str, Any]:
    """The Home tab of a learner who has started: their progress card(s) and a Resume button."""
    blocks: list[dict[str, Any]] = [_header(TITLE)]
    for message in progress:
        for part in render_slack(message):
            blocks += part.blocks
    if not any(button.action == "resume" for message in progress for button in message.buttons):
        blocks.append(_button_row("Resume", HOME_RESUME_ACTION))
    blocks.append(_context(COURSE_NOTE))
    return {"type": "home", "blocks": _fit(blocks)}


def welcome_view() -> dict[str, Any]:
    """The Home tab of someone who has not started: opening it enrols no one."""
    return {
        "type": "home",
        "blocks": [
            _header(TITLE),
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "You have not started the course yet. Press *Start* (or type `/tutor start`) "
                    "and it will begin in your DMs with me.",
                },
            },
            _button_row("Start", HOME_START_ACTION),
            _context(COURSE_NOTE),
        ],
    }


def _fit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep within the view limit; the last blocks (buttons, note) matter most, so cut the middle."""
    if len(blocks) <= HOME_MAX_BLOCKS:
        return blocks
    tail = blocks[-2:]
    return blocks[: HOME_MAX_BLOCKS - len(tail)] + tail


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button_row(label: str, action_id: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": label},
                "action_id": action_id,
                "value": action_id,
                "style": "primary",
            }
        ],
    }
