"""A `/cohort` answer as a Discord message: embeds holding the title (bold) and the sections,
people as `<@…>` and roles as `<@&…>` mentions, and the buttons in one action row.

An answer's limits (`bot.cohorts.answers`) keep it inside 10 embeds and 6,000 characters; a
description is filled up to 4,096 characters before the next embed starts.
"""

from __future__ import annotations

from typing import Any

from bot.cohorts.answers import Answer, AnswerButton, with_mentions
from bot.render.discord import DiscordPayload
from bot.render.limits import DISCORD_DESCRIPTION_MAX, DISCORD_LABEL_MAX

CUSTOM_ID_PREFIX = "cohort:"
_STYLES = {"primary": 1, "default": 2, "danger": 4}


def _discord_mention(ident: str, is_role: bool) -> str:
    return f"<@&{ident}>" if is_role else f"<@{ident}>"


def render_answer_discord(answer: Answer) -> DiscordPayload:
    texts = [with_mentions(text, _discord_mention) for text in (f"**{answer.title}**", *answer.sections)]
    embeds: list[dict[str, Any]] = []
    current = ""
    for text in texts:
        text = text[:DISCORD_DESCRIPTION_MAX]
        if current and len(current) + 2 + len(text) > DISCORD_DESCRIPTION_MAX:
            embeds.append({"description": current})
            current = text
        else:
            current = f"{current}\n\n{text}" if current else text
    embeds.append({"description": current})
    rows = []
    if answer.buttons:
        rows.append({"type": 1, "components": [_button(b) for b in answer.buttons[:5]]})
    return DiscordPayload(embeds=embeds, components=rows)


def parse_custom_id(custom_id: str) -> tuple[str, str] | None:
    """(action, value) of one of our answer buttons, else None."""
    if not custom_id.startswith(CUSTOM_ID_PREFIX):
        return None
    action, _, value = custom_id[len(CUSTOM_ID_PREFIX) :].partition(":")
    return (action, value) if action and value else None


def _button(button: AnswerButton) -> dict[str, Any]:
    return {
        "type": 2,
        "style": _STYLES[button.style],
        "label": button.label[:DISCORD_LABEL_MAX],
        "custom_id": f"{CUSTOM_ID_PREFIX}{button.action}:{button.value}",
    }
