"""Length limits for course text, so that every platform renders it whole (Slack's and Discord's
limits on one piece of text).

Each limit is the tightest place the text is shown. Renderers may still split long lessons
across messages; these limits are about single pieces of text that cannot be split.
"""

from __future__ import annotations

TITLE_MAX = 150
"""Slack `header` blocks take plain text up to 150 characters. Applies to titles, headings,
labels and other one-line names (module, lesson, quiz, lab and test titles, lesson label and
subtitle, section headings, list labels, key terms, instructions, the lab mode line, advisor)."""

TEXT_MAX = 3000
"""Slack `section` text is 1–3000 characters (a Discord embed description allows 4096). Applies
to each paragraph, a whole section body, the hook, stems, feedback, the lab task and openers."""

FIELD_MAX = 1024
"""A Discord embed field value holds at most 1024 characters. Key-term definitions are shown as
fields, and the lab greeting is kept to the same bound so it fits wherever it is shown."""

OPTION_MAX = 149
"""Answer options stay under 150 characters. They are shown as text beside short lettered buttons
(button labels are limited to 75/80 characters, so the text itself is never a label), and a card
with four long options is hard to read in a chat window."""

MIN_OPTIONS = 2
MAX_OPTIONS = 5
"""A Discord action row holds five buttons: one row of answer buttons per question."""
