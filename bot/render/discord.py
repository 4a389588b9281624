"""Messages as Discord payloads: embeds for the card, action rows for its buttons.

Layout of a card: one embed whose title is the heading and whose description holds the
blocks in order (paragraphs, bullets, key terms, advisor replies, then a lettered list of
long choices); the progress strip is the footer of the card's last embed. A text longer
than one description continues in further embeds, and past Discord's 6000 characters per
message in further payloads (messages); the buttons always travel in the last one.

Choices follow the same rule as on Slack (see `parts.SHORT_LABEL`): short options are the
button labels; long ones are listed in full as "**A.** …" with buttons "A", "B", ….

Dicts are in Discord API shape. `embeds` go through `discord.Embed.from_dict`; the adapter
builds buttons from `components` (style, label, custom_id, row) and should send with
`AllowedMentions.none()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.messages import (
    AdvisorReply,
    Block,
    Bullets,
    Button,
    KeyTermList,
    Message,
    Paragraph,
    ProgressStrip,
    ReplyProgress,
)
from bot.render import parts
from bot.render.actions import encode
from bot.render.limits import (
    DISCORD_CONTENT_MAX,
    DISCORD_DESCRIPTION_MAX,
    DISCORD_EMBEDS_MAX,
    DISCORD_EMBEDS_TOTAL_MAX,
    DISCORD_FOOTER_MAX,
    DISCORD_LABEL_MAX,
    DISCORD_ROW_BUTTONS_MAX,
    DISCORD_ROWS_MAX,
    DISCORD_TITLE_MAX,
)
from bot.render.markdown import emphasis_spans, to_discord, to_plain
from bot.render.text import split_text, truncate, truncate_start

COLOR = 0x2B7A78
"""Accent colour of every card's embeds."""

MORE_BUTTONS = "More choices:"
"""Content of an extra message that only carries buttons beyond Discord's 25 per message."""

_STYLES = {"primary": 1, "default": 2, "danger": 4}
_PARAGRAPH_GAP = "\n\n"

Embed = dict[str, Any]
Row = dict[str, Any]


@dataclass(frozen=True)
class DiscordPayload:
    """Arguments for sending or editing one Discord message."""

    content: str = ""
    embeds: list[Embed] = field(default_factory=list)
    components: list[Row] = field(default_factory=list)


def render_discord(message: Message) -> list[DiscordPayload]:
    """The card as one Discord message, or several in order if it is too long for one."""
    title = " ".join(to_plain(message.heading or "").split())
    segments = [] if len(title) <= DISCORD_TITLE_MAX else [f"**{title}**"]
    title = title if len(title) <= DISCORD_TITLE_MAX else ""
    strips = [parts.strip_text(block) for block in message.blocks if isinstance(block, ProgressStrip)]
    footer = "\n".join(strips)
    in_footer = len(footer) <= DISCORD_FOOTER_MAX
    if not in_footer:
        footer = ""
    segments += [text for block in message.blocks if (text := _block_text(block, strip_in_footer=in_footer))]
    if message.choices and parts.lettered(message.choices):
        segments.append(parts.choices_text(message.choices))
    pages = _embed_pages(title, segments, footer)
    rows = _rows(message)
    payloads = [DiscordPayload(embeds=page) for page in pages]
    row_pages = [rows[i : i + DISCORD_ROWS_MAX] for i in range(0, len(rows), DISCORD_ROWS_MAX)]
    if row_pages:
        payloads[-1] = DiscordPayload(embeds=payloads[-1].embeds, components=row_pages[0])
        payloads += [DiscordPayload(content=MORE_BUTTONS, components=page) for page in row_pages[1:]]
    payloads = [payload for payload in payloads if payload.embeds or payload.components or payload.content]
    # A card with nothing in it still has to say something: Discord refuses an empty message.
    return payloads or [
        DiscordPayload(content=truncate(to_plain(parts.summary(message)), DISCORD_CONTENT_MAX))
    ]


def render_discord_draft(draft: ReplyProgress) -> DiscordPayload:
    """A lab reply being streamed, for editing one message in place (the start is dropped if
    the draft outgrows one embed; the final reply arrives whole)."""
    prefix = f"{parts.advisor_prefix(draft.advisor)} "
    room = DISCORD_DESCRIPTION_MAX - len(prefix) - len(parts.CURSOR)
    text = truncate_start(draft.text, room) if draft.text.strip() else ""
    return DiscordPayload(embeds=[{"description": f"{prefix}{text}{parts.CURSOR}", "color": COLOR}])


def render_discord_answered(message: Message, chosen_label: str) -> DiscordPayload:
    """The last (button-carrying) part of the card, its buttons replaced by what was chosen.

    Used to edit a question after a click, so its buttons cannot be pressed again.
    """
    last = render_discord(message)[-1]
    line = parts.chosen_text(message.choices, chosen_label)
    embeds = [dict(embed) for embed in last.embeds]
    used = sum(_embed_size(embed) for embed in embeds)
    if embeds:
        description = embeds[-1].get("description", "")
        joined = f"{description}{_PARAGRAPH_GAP}{line}" if description else line
        if (
            len(joined) <= DISCORD_DESCRIPTION_MAX
            and used - len(description) + len(joined) <= DISCORD_EMBEDS_TOTAL_MAX
        ):
            embeds[-1]["description"] = joined
            return DiscordPayload(embeds=embeds)
        if len(embeds) < DISCORD_EMBEDS_MAX and used + len(line) <= DISCORD_EMBEDS_TOTAL_MAX:
            return DiscordPayload(embeds=[*embeds, {"description": line, "color": COLOR}])
    content = f"{last.content}\n{line}" if last.content and last.content != MORE_BUTTONS else line
    return DiscordPayload(content=truncate(content, DISCORD_CONTENT_MAX), embeds=embeds)


def _block_text(block: Block, *, strip_in_footer: bool) -> str:
    if isinstance(block, Paragraph):
        return block.text.strip()
    if isinstance(block, Bullets):
        return parts.bullets_text(block)
    if isinstance(block, KeyTermList):
        return parts.key_terms_text(block)
    if isinstance(block, ProgressStrip):
        return "" if strip_in_footer else parts.strip_text(block)
    if isinstance(block, AdvisorReply):
        return parts.advisor_text(block)
    raise TypeError(f"unknown block {type(block).__name__}")


def _embed_pages(title: str, segments: Sequence[str], footer: str) -> list[list[Embed]]:
    """Pack the text into embeds, and embeds into messages, within every Discord limit.

    Each message's budget keeps room for the footer, which goes on the very last embed.
    """
    limit = min(DISCORD_DESCRIPTION_MAX, DISCORD_EMBEDS_TOTAL_MAX - len(title) - len(footer))
    chunks = [
        to_discord(chunk)
        for segment in segments
        for chunk in split_text(segment, limit, measure=lambda s: len(to_discord(s)), protect=emphasis_spans)
    ]
    pages: list[list[Embed]] = [[{"title": title, "color": COLOR}]] if title else [[]]
    for chunk in chunks:
        embeds = pages[-1]
        used = sum(_embed_size(embed) for embed in embeds) + len(footer)
        last = embeds[-1] if embeds else None
        description = last.get("description", "") if last else ""
        if last is not None and (
            len(description) + len(_PARAGRAPH_GAP) + len(chunk) <= DISCORD_DESCRIPTION_MAX
            and used + len(_PARAGRAPH_GAP) + len(chunk) <= DISCORD_EMBEDS_TOTAL_MAX
        ):
            last["description"] = f"{description}{_PARAGRAPH_GAP}{chunk}" if description else chunk
        elif (
            last is not None
            and len(embeds) < DISCORD_EMBEDS_MAX
            and used + len(chunk) <= DISCORD_EMBEDS_TOTAL_MAX
        ) or last is None:
            embeds.append({"description": chunk, "color": COLOR})
        else:
            pages.append([{"description": chunk, "color": COLOR}])
    if footer:
        if not pages[-1]:
            pages[-1].append({"color": COLOR})
        pages[-1][-1]["footer"] = {"text": footer}
    return pages


def _embed_size(embed: Embed) -> int:
    """Characters an embed counts towards Discord's 6000 per message."""
    footer = embed.get("footer", {}).get("text", "")
    return len(embed.get("title", "")) + len(embed.get("description", "")) + len(footer)


def _rows(message: Message) -> list[Row]:
    """Action rows: choices first, then actions on rows of their own, five buttons a row."""
    if message.choices and parts.lettered(message.choices):
        labels = [parts.letter(i) for i in range(len(message.choices))]
    else:
        labels = [choice.label for choice in message.choices]
    choices = [_button(choice, i, labels[i]) for i, choice in enumerate(message.choices)]
    offset = len(message.choices)
    actions = [_button(action, offset + i, action.label) for i, action in enumerate(message.actions)]
    return [
        {"type": 1, "components": group[i : i + DISCORD_ROW_BUTTONS_MAX]}
        for group in (choices, actions)
        for i in range(0, len(group), DISCORD_ROW_BUTTONS_MAX)
    ]


def _button(button: Button, index: int, label: str) -> dict[str, Any]:
    text = truncate(" ".join(to_plain(label).split()), DISCORD_LABEL_MAX) or "…"
    return {"type": 2, "style": _STYLES[button.style], "label": text, "custom_id": encode(button, index)}
