"""Messages as plain terminal text, with numbered buttons the learner answers by typing.

Text is wrapped at word boundaries to the terminal's width, but never wider than a comfortable
reading measure. Lists, key terms and answer options hang-indent under their marks; the advisor
speaks as `Name: …` with its lines indented, and quoted lines get a `│` bar, so nothing on the
screen looks like the learner's `> ` prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wcwidth import wcswidth

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
from bot.render.text import wrap

MAX_MEASURE = 88
"""Widest line printed, however wide the terminal: long lines are hard to read."""

SPEAKER_INDENT = "    "
QUOTE_BAR = "│ "

# What a learner types when aiming at a button: `7`, `(2)`, `[3]`, `2.`, `#2`, `option 2`, `B`, `b)`.
_BUTTONISH = re.compile(
    r"^\s*(?:(?:option|button|choice|answer|number|no\.?)\s*)?[(\[#]?\s*(?:\d+|[a-z])\s*[)\].]?\s*$",
    re.IGNORECASE,
)


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal (emoji and CJK take two)."""
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def measure_for(columns: int) -> int:
    """The line width to print at in a terminal of `columns` (one spare, so no line reaches the edge)."""
    return max(20, min(columns - 1, MAX_MEASURE))


@dataclass(frozen=True)
class TerminalCard:
    """What to print, and the buttons in the order they are numbered (1 is `buttons[0]`).

    A notice's buttons (`by_label`) are not numbered: numbers keep meaning the step's buttons.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    by_label: tuple[Button, ...] = ()
    choices: int = 0
    """How many of `buttons` are listed choices (answers, openers, units); the rest are actions."""

    @property
    def answers(self) -> tuple[Button, ...]:
        return tuple(button for button in self.buttons if button.action == "answer")

    def pick(self, reply: str) -> Button | None:
        """The button a typed reply means: its number (`2`), an answer's letter (`B`), or its
        label (`continue`, any case). None when nothing matches, or when the label belongs to
        more than one button."""
        typed = reply.strip()
        if typed.isascii() and typed.isdigit():
            number = int(typed)
            return self.buttons[number - 1] if 1 <= number <= len(self.buttons) else None
        answers = self.answers
        if len(typed) == 1 and typed.isascii() and typed.isalpha() and answers:
            index = ord(typed.upper()) - ord("A")
            return answers[index] if index < len(answers) else None
        for group in (self.buttons, self.by_label):
            matches = [button for button in group if _same_label(button.label, typed)]
            if matches:
                return matches[0] if len(matches) == 1 else None
        return None

    def looks_like_a_pick(self, reply: str) -> bool:
        """Whether an unmatched reply was meant as a button (`7`, `(2)`, `option 2`, `B`), not a message."""
        return bool(_BUTTONISH.match(reply))

    def choose_hint(self, width: int = MAX_MEASURE) -> str:
        """`Choose 1–4 (or type the option's text).` and the same buttons again."""
        if not self.buttons:
            return "There is nothing to choose here: type `resume` to see where you are."
        count = len(self.buttons)
        span = "1" if count == 1 else f"1–{count}"
        letters = (
            f", A–{chr(ord('A') + len(self.answers) - 1)} for an answer" if len(self.answers) > 1 else ""
        )
        hint = f"Choose {span}{letters} (or type the option's text)."
        return "\n\n".join([hint, *_button_sections(self.buttons, width, self.choices)])


def _same_label(label: str, typed: str) -> bool:
    return to_plain(label).strip().casefold() == typed.casefold() and typed != ""


def render_terminal(message: Message, width: int = MAX_MEASURE, *, aside: str = "") -> TerminalCard:
    """The card as text: heading, blocks, then choices (numbered list) and actions (one line).

    `aside` (already laid out) goes after the blocks, just above the buttons.
    """
    sections: list[str] = []
    if message.heading:
        heading = to_plain(message.heading)
        lines = _wrap(heading, width)
        rule = "─" * min(max(display_width(line) for line in lines), width)
        sections.append("\n".join([*lines, rule]))
    sections += [text for text in (_block_text(block, width) for block in message.blocks) if text]
    if aside:
        sections.append(aside)
    if message.notice:
        if message.buttons:
            words = " · ".join(f"`{to_plain(b.label).lower()}`" for b in message.buttons)
            sections.append(f"(type {words})")
        return TerminalCard(text="\n\n".join(sections), by_label=message.buttons)
    sections += _button_sections(message.buttons, width, len(message.choices))
    return TerminalCard(text="\n\n".join(sections), buttons=message.buttons, choices=len(message.choices))


def _button_sections(buttons: tuple[Button, ...], width: int, choices: int) -> list[str]:
    """Choices as a numbered list, then actions on one line (wrapped between buttons)."""
    out: list[str] = []
    listed = [
        "\n".join(_wrap(to_plain(b.label), width, f"  {n}. ", " " * (len(str(n)) + 4)))
        for n, b in enumerate(buttons[:choices], 1)
    ]
    if listed:
        out.append("\n".join(listed))
    items = [f"[{n}] {to_plain(b.label)}" for n, b in enumerate(buttons[choices:], choices + 1)]
    if items:
        lines: list[str] = []
        for item in items:
            if lines and display_width(lines[-1]) + 3 + display_width(item) <= width:
                lines[-1] += "   " + item
            else:
                lines.append(item)
        out.append("\n".join(lines))
    return out


def render_draft(draft: ReplyProgress) -> str:
    """A lab reply still being written: `Ada: text so far ▌`."""
    return f"{to_plain(parts.advisor_prefix(draft.advisor))} {to_plain(draft.text)}{parts.CURSOR}"


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    return wrap(text, width, first=first, rest=rest, measure=display_width)


def _paragraph(text: str, width: int, indent: str = "", opening: str = "") -> str:
    """Wrapped prose; a `> ` line is a quote (barred), a `• `/`- ` line a list item (hung).

    `opening` (a speaker's name) starts the first line when that line is plain prose.
    """
    lines: list[str] = []
    for line in to_plain(text.strip()).split("\n"):
        stripped = line.strip()
        if opening and not lines and stripped and not stripped.startswith((">", "• ", "- ", "* ")):
            lines += _wrap(stripped, width, f"{opening} ", indent)
        elif stripped.startswith(">"):
            quoted = stripped.lstrip(">").strip()
            lines += _wrap(quoted, width, indent + QUOTE_BAR, indent + QUOTE_BAR)
        elif stripped.startswith(("• ", "- ", "* ")):
            lines += _wrap(stripped[2:], width, indent + "  • ", indent + "    ")
        else:
            lines += _wrap(stripped, width, indent, indent)
    if opening and not (lines and lines[0].startswith(opening)):
        lines.insert(0, opening)
    return "\n".join(lines)


def _block_text(block: Block, width: int) -> str:
    if isinstance(block, Paragraph):
        return _paragraph(block.text, width) if block.text.strip() else ""
    if isinstance(block, Bullets):
        return "\n".join("\n".join(_wrap(to_plain(item), width, "  • ", "    ")) for item in block.items)
    if isinstance(block, KeyTermList):
        return "\n".join(
            "\n".join(_wrap(f"{to_plain(term)} — {to_plain(text)}", width, "  • ", "    "))
            for term, text in block.terms
        )
    if isinstance(block, ProgressStrip):
        units = [parts.unit_text(unit) for unit in block.units]
        lines = [units[0]] if units else []
        for unit in units[1:]:
            joined = lines[-1] + parts.STRIP_SEPARATOR + unit
            if display_width(joined) <= width:
                lines[-1] = joined
            else:
                lines[-1] += parts.STRIP_SEPARATOR.rstrip()
                lines.append(unit)
        return "\n".join([*lines, parts.strip_legend(block)])
    if isinstance(block, AdvisorReply):
        return speaker_text(to_plain(parts.advisor_prefix(block.advisor, block.offline)), block.text, width)
    raise TypeError(f"unknown block {type(block).__name__}")


def speaker_line(line: str, width: int, opening: str = "") -> str:
    """One line of what a speaker says, laid out as `speaker_text` would (for streaming line by
    line); a blank line stays blank."""
    if not line.strip():
        return ""
    return _paragraph(line, width, SPEAKER_INDENT, opening=opening)


def speaker_text(speaker: str, text: str, width: int) -> str:
    """`Ada: first line…` with the following lines (and any quote) indented under the name."""
    return _paragraph(text, width, SPEAKER_INDENT, opening=speaker)
