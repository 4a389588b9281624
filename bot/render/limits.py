"""Platform limits, and checkers that list every way a rendered payload breaks them.

The renderers size their output with these constants; the checkers verify the result
independently (and, where the libraries can, with `slack_sdk.models.blocks` and
`discord.Embed` / `discord.ui.View` as a second opinion). A checker returns an empty list for
a payload the platform will accept, else one readable line per problem.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

import discord

if TYPE_CHECKING:
    from bot.render.discord import DiscordPayload
    from bot.render.slack import SlackMessage

# Slack Block Kit
SLACK_MAX_BLOCKS = 50
SLACK_HEADER_MAX = 150
SLACK_SECTION_TEXT_MAX = 3000
SLACK_SECTION_FIELDS_MAX = 10
SLACK_SECTION_FIELD_MAX = 2000
SLACK_CONTEXT_ELEMENTS_MAX = 10
SLACK_CONTEXT_TEXT_MAX = 3000
SLACK_ACTIONS_MAX = 25
SLACK_BUTTON_TEXT_MAX = 75
SLACK_ACTION_ID_MAX = 255
SLACK_BUTTON_VALUE_MAX = 2000
SLACK_BLOCK_ID_MAX = 255
SLACK_FALLBACK_MAX = 150
"""Our own rule, not Slack's: `text` is the notification line, so it stays one short line."""

# Discord
DISCORD_CONTENT_MAX = 2000
DISCORD_EMBEDS_MAX = 10
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_FIELDS_MAX = 25
DISCORD_FIELD_NAME_MAX = 256
DISCORD_FIELD_VALUE_MAX = 1024
DISCORD_FOOTER_MAX = 2048
DISCORD_AUTHOR_MAX = 256
DISCORD_EMBEDS_TOTAL_MAX = 6000
DISCORD_ROWS_MAX = 5
DISCORD_ROW_BUTTONS_MAX = 5
DISCORD_LABEL_MAX = 80
DISCORD_CUSTOM_ID_MAX = 100

_SLACK_BLOCK_TYPES = {"header", "section", "context", "actions", "divider"}
_SLACK_BUTTON_STYLES = {"primary", "danger"}
# In mrkdwn, `<` and `>` start links and mentions and `&` starts an entity: text we send must
# carry them escaped, or a quoted `<!channel>` would notify a whole channel.
_SLACK_UNESCAPED = re.compile(r"[<>]|&(?!amp;|lt;|gt;)")
_DISCORD_BUTTON_STYLES = {1, 2, 3, 4}  # primary, secondary, success, danger; 5 is a link button


def slack_problems(message: SlackMessage) -> list[str]:
    """Every Block Kit limit `message` breaks (plus a short non-empty `text`)."""
    problems: list[str] = []
    if not isinstance(message.text, str) or not message.text.strip():
        problems.append("text: the fallback/notification text is empty")
    else:
        problems += _too_long("text", message.text, SLACK_FALLBACK_MAX)
        problems += _unescaped("text", message.text)
    blocks = message.blocks
    if len(blocks) > SLACK_MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {SLACK_MAX_BLOCKS}")
    block_ids = [
        block.get("block_id") for block in blocks if isinstance(block, Mapping) and "block_id" in block
    ]
    problems += [f"block_id {bid!r} is used twice" for bid in _duplicates(block_ids)]
    for i, block in enumerate(blocks):
        where = f"block {i}"
        if not isinstance(block, Mapping):
            problems.append(f"{where}: not a dict")
            continue
        where = f"block {i} ({block.get('type')})"
        problems += [f"{where}: {p}" for p in _slack_block_problems(block)]
        problems += [f"{where}: slack_sdk: {p}" for p in _slack_sdk_problems(block)]
    return problems


def _slack_block_problems(block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    problems: list[str] = []
    if kind not in _SLACK_BLOCK_TYPES:
        return [f"unexpected block type {kind!r}"]
    if "block_id" in block:
        problems += _length("block_id", block["block_id"], 1, SLACK_BLOCK_ID_MAX)
    if kind == "header":
        problems += _text_object("text", block.get("text"), SLACK_HEADER_MAX, types={"plain_text"})
    elif kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            problems.append("has neither text nor fields")
        if text is not None:
            problems += _text_object("text", text, SLACK_SECTION_TEXT_MAX)
        if fields is not None:
            if not isinstance(fields, list) or not 1 <= len(fields) <= SLACK_SECTION_FIELDS_MAX:
                problems.append(f"fields must be a list of 1..{SLACK_SECTION_FIELDS_MAX}")
            else:
                for j, field in enumerate(fields):
                    problems += _text_object(f"fields[{j}]", field, SLACK_SECTION_FIELD_MAX)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= SLACK_CONTEXT_ELEMENTS_MAX:
            problems.append(f"elements must be a list of 1..{SLACK_CONTEXT_ELEMENTS_MAX}")
        else:
            for j, element in enumerate(elements):
                problems += _text_object(f"elements[{j}]", element, SLACK_CONTEXT_TEXT_MAX)
    elif kind == "actions":
        problems += _slack_actions_problems(block.get("elements"))
    return problems


def _slack_actions_problems(elements: object) -> list[str]:
    if not isinstance(elements, list) or not 1 <= len(elements) <= SLACK_ACTIONS_MAX:
        count = len(elements) if isinstance(elements, list) else "no"
        return [f"{count} elements; an actions block holds 1..{SLACK_ACTIONS_MAX}"]
    problems: list[str] = []
    action_ids: list[object] = []
    for j, element in enumerate(elements):
        where = f"elements[{j}]"
        if not isinstance(element, Mapping) or element.get("type") != "button":
            problems.append(f"{where}: not a button")
            continue
        problems += _text_object(
            f"{where}.text", element.get("text"), SLACK_BUTTON_TEXT_MAX, types={"plain_text"}
        )
        action_id = element.get("action_id")
        action_ids.append(action_id)
        problems += _length(f"{where}.action_id", action_id, 1, SLACK_ACTION_ID_MAX)
        if "value" in element:
            problems += _length(f"{where}.value", element["value"], 1, SLACK_BUTTON_VALUE_MAX)
        if "accessibility_label" in element:
            label = element["accessibility_label"]
            problems += _length(f"{where}.accessibility_label", label, 1, SLACK_BUTTON_TEXT_MAX)
        if "style" in element and element["style"] not in _SLACK_BUTTON_STYLES:
            problems.append(
                f"{where}.style {element['style']!r} is not one of {sorted(_SLACK_BUTTON_STYLES)}"
            )
    problems += [f"action_id {aid!r} is used twice in the block" for aid in _duplicates(action_ids)]
    return problems


def _text_object(
    where: str, obj: object, limit: int, types: Iterable[str] = ("plain_text", "mrkdwn")
) -> list[str]:
    if not isinstance(obj, Mapping):
        return [f"{where}: missing text object"]
    kinds = set(types)
    if obj.get("type") not in kinds:
        return [f"{where}: type {obj.get('type')!r}, expected {' or '.join(sorted(kinds))}"]
    problems = _length(where, obj.get("text"), 1, limit)
    if obj.get("type") == "mrkdwn" and isinstance(obj.get("text"), str):
        problems += _unescaped(where, obj["text"])
    return problems


def _slack_sdk_problems(block: Mapping[str, Any]) -> list[str]:
    """slack_sdk's own validation; a round trip that changes the block means it has unknown keys."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = Block.parse(dict(block))
            if parsed is None:
                return ["unknown block"]
            as_dict = parsed.to_dict()
    except SlackObjectFormationError as error:
        return [str(error)]
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        return [f"cannot be parsed: {error}"]
    if as_dict != dict(block):
        return ["has keys or values slack_sdk does not recognise (round trip changed it)"]
    return []


def discord_problems(payload: DiscordPayload) -> list[str]:
    """Every Discord message limit `payload` breaks."""
    problems: list[str] = []
    if not isinstance(payload.content, str):
        problems.append("content: not a string")
    else:
        problems += _too_long("content", payload.content, DISCORD_CONTENT_MAX)
    if not (payload.content or payload.embeds or payload.components):
        problems.append("empty message: no content, embeds or components")
    embeds = payload.embeds
    if len(embeds) > DISCORD_EMBEDS_MAX:
        problems.append(f"{len(embeds)} embeds, more than {DISCORD_EMBEDS_MAX}")
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, Mapping):
            problems.append(f"embed {i}: not a dict")
            continue
        embed_problems, size = _embed_problems(embed)
        problems += [f"embed {i}: {p}" for p in embed_problems]
        total += size
    if total > DISCORD_EMBEDS_TOTAL_MAX:
        problems.append(f"embeds hold {total} characters in all, more than {DISCORD_EMBEDS_TOTAL_MAX}")
    problems += _components_problems(payload.components)
    return problems


def _embed_problems(embed: Mapping[str, Any]) -> tuple[list[str], int]:
    """Problems of one embed, and how many characters it counts towards the 6000 total."""
    problems: list[str] = []
    size = 0
    texts = [
        ("title", embed.get("title"), DISCORD_TITLE_MAX),
        ("description", embed.get("description"), DISCORD_DESCRIPTION_MAX),
    ]
    for key, inner, limit in (("footer", "text", DISCORD_FOOTER_MAX), ("author", "name", DISCORD_AUTHOR_MAX)):
        part = embed.get(key)
        if part is None:
            continue
        if isinstance(part, Mapping):
            texts.append((f"{key}.{inner}", part.get(inner), limit))
        else:
            problems.append(f"{key}: not a dict")
    fields = embed.get("fields", [])
    if not isinstance(fields, list):
        problems.append("fields: not a list")
        fields = []
    if len(fields) > DISCORD_FIELDS_MAX:
        problems.append(f"{len(fields)} fields, more than {DISCORD_FIELDS_MAX}")
    for j, field in enumerate(fields):
        if not isinstance(field, Mapping):
            problems.append(f"fields[{j}]: not a dict")
            continue
        problems += _length(f"fields[{j}].name", field.get("name"), 1, DISCORD_FIELD_NAME_MAX)
        problems += _length(f"fields[{j}].value", field.get("value"), 1, DISCORD_FIELD_VALUE_MAX)
        size += sum(len(v) for v in (field.get("name"), field.get("value")) if isinstance(v, str))
    for where, text, limit in texts:
        if text is None:
            continue
        problems += _length(where, text, 1, limit)
        size += len(text) if isinstance(text, str) else 0
    if not any(text for _, text, _ in texts) and not fields:
        problems.append("empty embed")
    problems += _discord_py_embed_problems(embed)
    return problems, size


def _discord_py_embed_problems(embed: Mapping[str, Any]) -> list[str]:
    """discord.py must read the embed back unchanged: a dropped key means Discord would not know it."""
    try:
        parsed = discord.Embed.from_dict(dict(embed)).to_dict()
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        return [f"discord.Embed.from_dict fails: {error}"]
    parsed.pop("flags", None)  # discord.py adds these; they are not ours
    parsed.pop("type", None)
    mine = {k: v for k, v in embed.items() if k != "type"}
    if parsed != mine:
        return ["discord.Embed.from_dict does not round-trip it (unknown key or wrong value type)"]
    return []


def _components_problems(rows: object) -> list[str]:
    if not isinstance(rows, list):
        return ["components: not a list"]
    problems: list[str] = []
    if len(rows) > DISCORD_ROWS_MAX:
        problems.append(f"{len(rows)} action rows, more than {DISCORD_ROWS_MAX}")
    custom_ids: list[object] = []
    view = discord.ui.View(timeout=None)
    for r, row in enumerate(rows):
        if not isinstance(row, Mapping) or row.get("type") != 1:
            problems.append(f"row {r}: not an action row (type 1)")
            continue
        buttons = row.get("components")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= DISCORD_ROW_BUTTONS_MAX:
            problems.append(f"row {r}: must hold 1..{DISCORD_ROW_BUTTONS_MAX} buttons")
            continue
        for b, button in enumerate(buttons):
            where = f"row {r} button {b}"
            if not isinstance(button, Mapping) or button.get("type") != 2:
                problems.append(f"{where}: not a button (type 2)")
                continue
            if button.get("style") not in _DISCORD_BUTTON_STYLES:
                problems.append(f"{where}: style {button.get('style')!r} is not an interactive button style")
            problems += [f"{where}: {p}" for p in _length("label", button.get("label"), 1, DISCORD_LABEL_MAX)]
            custom_id = button.get("custom_id")
            custom_ids.append(custom_id)
            problems += [f"{where}: {p}" for p in _length("custom_id", custom_id, 1, DISCORD_CUSTOM_ID_MAX)]
            problems += [f"{where}: discord.py: {p}" for p in _discord_py_button_problems(view, button, r)]
    problems += [f"custom_id {cid!r} is used twice in the message" for cid in _duplicates(custom_ids)]
    return problems


def _discord_py_button_problems(view: discord.ui.View, button: Mapping[str, Any], row: int) -> list[str]:
    if row >= DISCORD_ROWS_MAX:
        return []  # already reported; discord.py would refuse the row number itself
    try:
        view.add_item(
            discord.ui.Button(
                style=discord.ButtonStyle(button.get("style")),
                label=button.get("label"),
                custom_id=button.get("custom_id"),
                row=row,
            )
        )
    except (TypeError, ValueError) as error:
        return [str(error)]
    return []


def _length(where: str, value: object, low: int, high: int) -> list[str]:
    if not isinstance(value, str):
        return [f"{where}: missing or not a string"]
    if len(value) < low:
        return [f"{where}: empty"]
    return _too_long(where, value, high)


def _too_long(where: str, value: str, limit: int) -> list[str]:
    return [f"{where}: {len(value)} characters, more than {limit}"] if len(value) > limit else []


def _unescaped(where: str, text: str) -> list[str]:
    found = _SLACK_UNESCAPED.search(text)
    return [f"{where}: unescaped {found.group()!r} at {found.start()}"] if found else []


def _duplicates(values: Iterable[object]) -> list[object]:
    seen: list[object] = []
    duplicates: list[object] = []
    for value in values:
        if value in seen and value not in duplicates:
            duplicates.append(value)
        seen.append(value)
    return duplicates
