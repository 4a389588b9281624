"""Messages as plain terminal text, with numbered buttons the learner answers by typing."""

from __future__ import annotations

from dataclasses import dataclass

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
from bot.render.markdown import to_plain

_RULE_WIDTH = 60


@dataclass(frozen=True)
class TerminalCard:
    """What to print, and the buttons in the order they are numbered (1 is `buttons[0]`)."""

    text: str
    buttons: tuple[Button, ...] = ()

    def pick(self, reply: str) -> Button | None:
        """The button a typed reply means: its number (`2`) or its label (`continue`, any case).

        None when nothing matches, or when the label belongs to more than one button.
        """
        typed = reply.strip()
        if typed.isascii() and typed.isdigit():
            number = int(typed)
            return self.buttons[number - 1] if 1 <= number <= len(self.buttons) else None
        matches = [button for button in self.buttons if _same_label(button.label, typed)]
        return matches[0] if len(matches) == 1 else None


def _same_label(label: str, typed: str) -> bool:
    return to_plain(label).strip().casefold() == typed.casefold() and typed != ""


def render_terminal(message: Message) -> TerminalCard:
    """The card as text: heading, blocks, then choices (numbered list) and actions (one line)."""
    sections: list[str] = []
    if message.heading:
        heading = to_plain(message.heading)
        sections.append(f"{heading}\n{'─' * min(len(heading), _RULE_WIDTH)}")
    sections += [text for text in map(_block_text, message.blocks) if text]
    numbers = iter(range(1, len(message.buttons) + 1))
    if message.choices:
        sections.append(
            "\n".join(f"  {next(numbers)}. {to_plain(choice.label)}" for choice in message.choices)
        )
    if message.actions:
        sections.append(
            "   ".join(f"[{next(numbers)}] {to_plain(action.label)}" for action in message.actions)
        )
    return TerminalCard(text="\n\n".join(sections), buttons=message.buttons)


def render_draft(draft: ReplyProgress) -> str:
    """A lab reply still being written: `Ada: text so far ▌`."""
    return f"{to_plain(parts.advisor_prefix(draft.advisor))} {to_plain(draft.text)}{parts.CURSOR}"


def _block_text(block: Block) -> str:
    if isinstance(block, Paragraph):
        return to_plain(block.text.strip())
    if isinstance(block, Bullets):
        return to_plain(parts.bullets_text(block))
    if isinstance(block, KeyTermList):
        return to_plain(parts.key_terms_text(block))
    if isinstance(block, ProgressStrip):
        return parts.strip_text(block)
    if isinstance(block, AdvisorReply):
        return to_plain(parts.advisor_text(block))
    raise TypeError(f"unknown block {type(block).__name__}")
