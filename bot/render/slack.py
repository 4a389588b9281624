"""Messages as Slack Block Kit.

Layout of a card: header, one or more sections per block (long text is split across
sections at paragraph, line, sentence or word boundaries), the progress strip as a small
context line, then the choices and the action buttons.

Choices: when every option is short (≤ `parts.SHORT_LABEL`), the buttons carry the options
themselves. Otherwise the options are listed in full in the text as "**A.** …" and the
buttons say "A", "B", …: Slack cuts a button's text off after about 30 characters, and a
learner must be able to read a whole 150-character option before choosing it.

A card that needs more than 50 blocks is sent as several Slack messages; the buttons (and a
lettered list with them) always travel in the last one.
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
    SLACK_ACTIONS_MAX,
    SLACK_BUTTON_TEXT_MAX,
    SLACK_CONTEXT_ELEMENTS_MAX,
    SLACK_CONTEXT_TEXT_MAX,
    SLACK_FALLBACK_MAX,
    SLACK_HEADER_MAX,
    SLACK_MAX_BLOCKS,
    SLACK_SECTION_TEXT_MAX,
)
from bot.render.markdown import emphasis_spans, escape_slack, to_plain, to_slack
from bot.render.text import split_text, truncate

SlackBlock = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    """Arguments for `chat.postMessage` / `chat.update`: notification `text` and `blocks`."""

    text: str
    blocks: list[SlackBlock] = field(default_factory=list)


def render_slack(message: Message) -> list[SlackMessage]:
    """The card as one Slack message, or several in order if it needs more than 50 blocks."""
    body = _header(message.heading) + [b for block in message.blocks for b in _block(block)]
    return _paginate(body, _buttons(message), parts.summary(message))


def render_slack_draft(draft: ReplyProgress) -> SlackMessage:
    """A lab reply being streamed, for editing one message in place.

    If the draft ever outgrew one message, the start is dropped: the final reply arrives whole.
    """
    text = f"{parts.advisor_prefix(draft.advisor)} {draft.text}{parts.CURSOR}"
    blocks = _sections(text)[-SLACK_MAX_BLOCKS:]
    # The notification is made when the draft is first posted: say how the reply begins.
    opening = first_words(draft.text)
    summary = f"{draft.advisor}: {opening}…" if opening else f"{draft.advisor} is replying…"
    return SlackMessage(text=_fallback(summary), blocks=blocks)


NOTIFICATION_WORDS = 12


def first_words(text: str, count: int = NOTIFICATION_WORDS) -> str:
    """The first `count` whole words of a reply still being written, as plain text on one line
    (its last word may be cut off mid-way, so it counts only once something follows it)."""
    words = to_plain(text).split()
    if words and not text[-1:].isspace():
        words = words[:-1]
    return " ".join(words[:count])


def render_slack_answered(message: Message, chosen_label: str) -> SlackMessage:
    """The last (button-carrying) part of the card, its buttons replaced by what was chosen.

    Used to update a question after a click, so its buttons cannot be pressed again.
    """
    last = render_slack(message)[-1]
    blocks = [block for block in last.blocks if block["type"] != "actions"]
    answer = _context(parts.chosen_text(message.choices, chosen_label))
    if len(blocks) + len(answer) <= SLACK_MAX_BLOCKS:
        blocks += answer
    return SlackMessage(text=last.text, blocks=blocks)


def _paginate(body: list[SlackBlock], tail: list[SlackBlock], summary: str) -> list[SlackMessage]:
    """Split into messages of at most 50 blocks, keeping `tail` (the buttons) together at the end."""
    pages = [body[i : i + SLACK_MAX_BLOCKS] for i in range(0, len(body), SLACK_MAX_BLOCKS)] or [[]]
    if len(pages[-1]) + len(tail) <= SLACK_MAX_BLOCKS:
        pages[-1] = pages[-1] + tail
    else:
        pages += [tail[i : i + SLACK_MAX_BLOCKS] for i in range(0, len(tail), SLACK_MAX_BLOCKS)]
    if len(pages) == 1:
        return [SlackMessage(text=_fallback(summary), blocks=pages[0])]
    return [
        SlackMessage(text=_fallback(summary, suffix=f" ({n}/{len(pages)})"), blocks=page)
        for n, page in enumerate(pages, start=1)
    ]


def _fallback(summary: str, suffix: str = "") -> str:
    """One short plain line for notifications (`text` is read as mrkdwn, hence the escaping)."""
    line = " ".join(to_plain(summary).split()) or "tutorbot"
    limit = SLACK_FALLBACK_MAX - len(suffix)
    return escape_slack(truncate(line, limit, measure=lambda s: len(escape_slack(s)))) + suffix


def _header(heading: str | None) -> list[SlackBlock]:
    """A header block; a heading too long for one is shown in full as a bold section instead."""
    plain = " ".join(to_plain(heading or "").split())
    if not plain:
        return []
    if len(plain) <= SLACK_HEADER_MAX:
        return [{"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}]
    return _sections(f"**{plain}**")


def _block(block: Block) -> list[SlackBlock]:
    if isinstance(block, Paragraph):
        return _sections(block.text)
    if isinstance(block, Bullets):
        return _sections(parts.bullets_text(block))
    if isinstance(block, KeyTermList):
        return _sections(parts.key_terms_text(block))
    if isinstance(block, ProgressStrip):
        return _context(parts.strip_text(block))
    if isinstance(block, AdvisorReply):
        return _sections(parts.advisor_text(block))
    raise TypeError(f"unknown block {type(block).__name__}")


def _mrkdwn_chunks(text: str, limit: int) -> list[str]:
    chunks = split_text(text, limit, measure=lambda s: len(to_slack(s)), protect=emphasis_spans)
    return [to_slack(chunk) for chunk in chunks]


def _sections(text: str) -> list[SlackBlock]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in _mrkdwn_chunks(text, SLACK_SECTION_TEXT_MAX)
    ]


def _context(text: str) -> list[SlackBlock]:
    elements = [{"type": "mrkdwn", "text": chunk} for chunk in _mrkdwn_chunks(text, SLACK_CONTEXT_TEXT_MAX)]
    return [
        {"type": "context", "elements": elements[i : i + SLACK_CONTEXT_ELEMENTS_MAX]}
        for i in range(0, len(elements), SLACK_CONTEXT_ELEMENTS_MAX)
    ]


def _buttons(message: Message) -> list[SlackBlock]:
    """The lettered list (if any) and the actions blocks: choices first, then actions."""
    blocks: list[SlackBlock] = []
    if message.choices:
        if parts.lettered(message.choices):
            blocks += _sections(parts.choices_text(message.choices))
            labels = [parts.letter(i) for i in range(len(message.choices))]
            # A screen reader says "A" for a letter button; let it say the option instead.
            spoken: list[str | None] = [
                f"{parts.letter(i)}: {choice.label}" for i, choice in enumerate(message.choices)
            ]
        else:
            labels = [choice.label for choice in message.choices]
            spoken = [None] * len(message.choices)
        blocks += _actions([(choice, i, labels[i], spoken[i]) for i, choice in enumerate(message.choices)])
    offset = len(message.choices)
    blocks += _actions([(action, offset + i, action.label, None) for i, action in enumerate(message.actions)])
    return blocks


def _actions(buttons: Sequence[tuple[Button, int, str, str | None]]) -> list[SlackBlock]:
    elements = [_button(button, index, label, spoken) for button, index, label, spoken in buttons]
    return [
        {"type": "actions", "elements": elements[i : i + SLACK_ACTIONS_MAX]}
        for i in range(0, len(elements), SLACK_ACTIONS_MAX)
    ]


def _button(button: Button, index: int, label: str, spoken: str | None = None) -> SlackBlock:
    value = encode(button, index)
    text = truncate(" ".join(to_plain(label).split()), SLACK_BUTTON_TEXT_MAX) or "…"
    element: SlackBlock = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": value,
        "value": value,
    }
    if spoken:
        element["accessibility_label"] = truncate(" ".join(to_plain(spoken).split()), SLACK_BUTTON_TEXT_MAX)
    if button.style != "default":
        element["style"] = button.style
    return element
