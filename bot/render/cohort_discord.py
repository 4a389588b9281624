"""A `/cohort` answer as a Discord message: embeds holding the title (bold) and the sections,
people as `<@…>` and roles as `<@&…>` mentions, each item as an embed of its own with its
buttons in a row, and the answer's buttons in the last row.

An answer's limits (`bot.cohorts.answers`) keep it inside 10 embeds and 6,000 characters; a
description is filled up to 4,096 characters before the next embed starts.
"""

from __future__ import annotations

from typing import Any

from bot.cohorts.answers import MAX_EDIT, Answer, AnswerButton, EditForm, with_mentions
from bot.render.discord import DiscordPayload
from bot.render.limits import DISCORD_DESCRIPTION_MAX, DISCORD_LABEL_MAX

CUSTOM_ID_PREFIX = "cohort:"
FORM_PREFIX = CUSTOM_ID_PREFIX + "edit:"
FORM_FIELD = "text"
MODAL = 9
"""The interaction response that opens a modal."""
_STYLES = {"primary": 1, "default": 2, "danger": 4}


def discord_mention(ident: str, sigil: str) -> str:
    return f"<#{ident}>" if sigil == "#" else f"<@{sigil}{ident}>"


def render_answer_discord(answer: Answer) -> DiscordPayload:
    texts = [with_mentions(text, discord_mention) for text in (f"**{answer.title}**", *answer.sections)]
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
    for item in answer.items:  # one embed and one row of buttons each; an answer has at most four
        embeds.append({"description": with_mentions(item.text, discord_mention)[:DISCORD_DESCRIPTION_MAX]})
        if item.buttons:
            rows.append({"type": 1, "components": [_button(b) for b in item.buttons]})
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


def render_form_discord(form: EditForm) -> dict[str, Any]:
    """An `EditForm` as a modal (the `data` of interaction response type 9)."""
    return {
        "custom_id": f"{FORM_PREFIX}{form.value}",
        "title": form.title,
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 4,
                        "custom_id": FORM_FIELD,
                        "style": 2,
                        "label": form.label,
                        "value": form.text,
                        "min_length": 1,
                        "max_length": MAX_EDIT,
                        "required": True,
                    }
                ],
            }
        ],
    }


def form_input(data: dict[str, Any]) -> tuple[str, str] | None:
    """(value, typed text) of a submitted `EditForm` modal, else None. Reads both the classic
    layout (text inputs in action rows) and labels (`type` 18) holding one `component`."""
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id.startswith(FORM_PREFIX):
        return None
    for outer in data.get("components") or []:
        if not isinstance(outer, dict):
            continue
        inner = outer.get("components") or (
            [outer["component"]] if isinstance(outer.get("component"), dict) else []
        )
        for field in inner:
            if (
                isinstance(field, dict)
                and field.get("custom_id") == FORM_FIELD
                and isinstance(field.get("value"), str)
            ):
                return custom_id[len(FORM_PREFIX) :], field["value"]
    return None
