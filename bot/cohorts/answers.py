"""What a `/cohort` command answers, for an adapter to render: sections of light-markdown
text (`**bold**`, `_italic_`, line breaks), buttons and files. Always private to the caller.

People, roles and channels are named with `person(id)`, `role(id)` and `channel(id)`: markers
each renderer turns into its platform's mention (`<@U…>`, `<@&…>`, `<#C…>`), after escaping the text around them, so a
name or reason a user typed can never become a mention or a link.

The limits are the tighter of the platforms': a Slack section holds 3,000 characters and a
message 50 blocks; a Discord message holds 10 embeds and 6,000 characters in all. An answer
built here stays inside both, so a renderer never has to cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SECTION_CHARS = 2800
MAX_SECTIONS = 8
TOTAL_CHARS = 5500
MAX_EDIT = 1000
"""The longest text an `EditForm` takes."""
VALUE_CHARS = 80
"""A button's value: with `cohort:confirm:` before it, under Discord's 100-character custom_id."""

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in what people type
MENTION = re.compile(f"{_OPEN}([&#]?)([A-Za-z0-9._-]{{1,64}}){_CLOSE}")
Sigil = str
"""What a marker names: `""` a person, `"&"` a role, `"#"` a channel."""


def person(user: str) -> str:
    return f"{_OPEN}{user}{_CLOSE}"


def role(role_id: str) -> str:
    return f"{_OPEN}&{role_id}{_CLOSE}"


def channel(channel_id: str) -> str:
    return f"{_OPEN}#{channel_id}{_CLOSE}"


def with_mentions(text: str, render: Callable[[str, Sigil], str]) -> str:
    """`text` with every marker replaced by `render(id, sigil)`."""
    return MENTION.sub(lambda m: render(m.group(2), m.group(1)), text)


def plain_mention(ident: str, sigil: Sigil) -> str:
    return f"#{ident}" if sigil == "#" else f"@{sigil}{ident}"


ButtonAction = Literal["page", "confirm", "cancel", "undo", "nudge", "edit"]
"""`edit` opens a form (`EditForm`) instead of answering; the rest answer with an `Answer`."""
MAX_ITEMS = 4
"""Items of one answer: each takes one of Discord's five action rows, the answer's buttons the last."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class AnswerButton(Frozen):
    label: str = Field(max_length=30)
    action: ButtonAction
    value: str = Field(max_length=VALUE_CHARS)
    style: Literal["default", "primary", "danger"] = "default"


class AnswerItem(Frozen):
    """A piece of an answer with buttons of its own (one learner's drafted nudge)."""

    text: str = Field(max_length=SECTION_CHARS)
    buttons: tuple[AnswerButton, ...] = Field(default=(), max_length=5)


class EditForm(Frozen):
    """A one-field form an `edit` button opens (a Slack modal, a Discord modal); what is typed
    comes back with `value`."""

    title: str = Field(max_length=24)
    label: str = Field(max_length=45)
    text: str = Field(max_length=MAX_EDIT)
    value: str = Field(max_length=VALUE_CHARS)


class AnswerFile(Frozen):
    filename: str
    title: str
    content: bytes


class ChannelPost(Frozen):
    """A post for the channel where the command was typed: the one part of an answer that is
    not private, so only anonymised content (a reveal) is ever put here."""

    text: str = Field(max_length=3500)
    image: bytes | None = None
    image_name: str = "chart.png"


class Answer(Frozen):
    title: str = Field(max_length=400)
    sections: tuple[str, ...] = ()
    buttons: tuple[AnswerButton, ...] = ()
    items: tuple[AnswerItem, ...] = Field(default=(), max_length=MAX_ITEMS)
    """Shown after the sections, each with its own buttons; the answer's `buttons` come last."""
    files: tuple[AnswerFile, ...] = ()
    ok: bool = True
    """False for a refusal or a mistake: nothing changed."""
    post: ChannelPost | None = None

    @model_validator(mode="after")
    def _fits_with_items(self) -> Answer:
        if self.items and len(self.sections) > 2:  # items take embeds of their own on Discord
            raise ValueError("an answer with items holds at most two sections")
        return self

    @property
    def text(self) -> str:
        """Everything as plain text, people as `@id` (the shell, notification text, tests)."""
        parts = [self.title, *self.sections, *(item.text for item in self.items)]
        return with_mentions("\n\n".join(parts), plain_mention)

    @property
    def plain_title(self) -> str:
        return with_mentions(self.title, plain_mention)


def refusal(line: str) -> Answer:
    return Answer(title=line, ok=False)


def fitted(lines: list[str], *, budget: int = TOTAL_CHARS) -> tuple[str, ...]:
    """Lines packed into sections within the limits; what does not fit is cut with a note."""
    sections: list[str] = []
    current: list[str] = []
    size = 0
    used = 0
    for line in lines:
        line = line if len(line) <= SECTION_CHARS else line[: SECTION_CHARS - 1] + "…"
        if used + len(line) + 1 > budget - 40 or (
            len(sections) == MAX_SECTIONS - 1 and size + len(line) + 1 > SECTION_CHARS
        ):
            current.append("_(cut short: too long to show here)_")
            break
        if size + len(line) + 1 > SECTION_CHARS:
            sections.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
        used += len(line) + 1
    if current:
        sections.append("\n".join(current))
    return tuple(s for s in sections if s)
