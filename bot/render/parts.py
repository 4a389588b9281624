"""Wording shared by every renderer, so a learner sees the same card on every platform.

Everything here returns light markdown (`**bold**`, `_italic_`); each renderer translates it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.messages import (
    AdvisorReply,
    Bullets,
    Button,
    KeyTermList,
    Message,
    Paragraph,
    ProgressStrip,
    StripUnit,
    UnitStatus,
)

STATUS_MARK: dict[UnitStatus, str] = {
    "done": "✓",
    "current": "▶",
    "locked": "🔒",
    "open": "",
    "scheduled": "🗓",
}
"""Shown after a unit's label. An open unit (available, not started) has no mark."""

STRIP_SEPARATOR = " · "

SHORT_LABEL = 30
"""Choice labels up to this long go on the buttons themselves: Slack shows about 30
characters of a button before cutting it off, and a row of short buttons reads at a glance.
Longer options are listed in the text as "A. …" and the buttons say "A", "B", …"""

CURSOR = " ▌"
"""Ends a streamed draft, so the learner can tell the advisor is still writing."""


def unit_text(unit: StripUnit) -> str:
    mark = STATUS_MARK[unit.status]
    if unit.status == "scheduled" and unit.opens:
        return f"{unit.label} {mark} {unit.opens}"
    return f"{unit.label} {mark}" if mark else unit.label


STRIP_LEGEND = "✓ done · ▶ you are here · 🔒 locked"
"""The line under every progress strip, so its marks need no guessing."""
SCHEDULED_LEGEND = " · 🗓 opens on the day shown"
"""Added to the legend when the strip holds a lesson the cohort releases later."""


def strip_units_text(strip: ProgressStrip) -> str:
    """`L1 ✓ · Quiz ✓ · Lab ▶ · L2 · … · Module Test 🔒`, plain text (no markdown)."""
    return STRIP_SEPARATOR.join(unit_text(unit) for unit in strip.units)


def strip_legend(strip: ProgressStrip) -> str:
    scheduled = any(unit.status == "scheduled" for unit in strip.units)
    return STRIP_LEGEND + (SCHEDULED_LEGEND if scheduled else "")


def strip_text(strip: ProgressStrip) -> str:
    """The strip and, on the line under it, its legend."""
    return f"{strip_units_text(strip)}\n{strip_legend(strip)}"


def bullets_text(bullets: Bullets) -> str:
    return "\n".join(f"• {item}" for item in bullets.items)


def key_terms_text(terms: KeyTermList) -> str:
    return "\n".join(f"**{term}** — {definition}" for term, definition in terms.terms)


def advisor_prefix(advisor: str, offline: bool = False) -> str:
    """`**Ada:**`, or `**Ada** _(offline)_:` when the built-in advisor answered from the lesson text."""
    return f"**{advisor}** _(offline)_:" if offline else f"**{advisor}:**"


def advisor_text(reply: AdvisorReply) -> str:
    return f"{advisor_prefix(reply.advisor, reply.offline)} {reply.text}"


def letter(index: int) -> str:
    """A, B, … Z, then AA, AB, … (a choice's position as a letter)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def lettered(choices: Sequence[Button]) -> bool:
    """Whether choices are listed in the text with letter buttons, rather than labelled in full."""
    return any(len(choice.label) > SHORT_LABEL for choice in choices)


def choices_text(choices: Sequence[Button]) -> str:
    """The lettered list of options shown above letter buttons."""
    return "\n".join(f"**{letter(i)}.** {choice.label.strip()}" for i, choice in enumerate(choices))


def chosen_text(choices: Sequence[Button], chosen_label: str) -> str:
    """The line that replaces a card's buttons once the learner has answered."""
    for i, choice in enumerate(choices):
        if choice.label == chosen_label and lettered(choices):
            return f"✅ You chose **{letter(i)}.** {chosen_label}"
    return f"✅ You chose **{chosen_label}**"


def summary(message: Message) -> str:
    """One line naming the card, for notifications: its heading, else its first words."""
    if message.heading and message.heading.strip():
        return message.heading
    for block in message.blocks:
        if isinstance(block, Paragraph) and block.text.strip():
            return block.text
        if isinstance(block, AdvisorReply):
            return f"{block.advisor}: {block.text}"
    return "tutorbot"
