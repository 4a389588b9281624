"""The engine's light markdown (`**bold**`, `_italic_`, line breaks) in each platform's dialect.

Only matched pairs on one line are emphasis; a lone `**` or an underscore inside a word
(`snake_case`) is left as it is. Emphasis never spans lines.
"""

from __future__ import annotations

import re

_BOLD = re.compile(r"\*\*(?=\S)([^\n]+?)(?<=\S)\*\*")
# Word boundaries keep `snake_case_names` and `file_name.py` from turning italic.
_ITALIC = re.compile(r"(?<![\w*])_(?=\S)([^\n]+?)(?<=\S)_(?!\w)")

_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def emphasis_spans(text: str) -> list[tuple[int, int]]:
    """Where the emphasis spans are, so a splitter can avoid cutting through one."""
    return [match.span() for pattern in (_BOLD, _ITALIC) for match in pattern.finditer(text)]


def escape_slack(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in `mrkdwn` and `text`.

    Without this, text that quotes `<!channel>` or `<@U123>` would notify people or render as a link.
    """
    return text.translate(_SLACK_ESCAPES)


def to_slack(text: str) -> str:
    """Slack mrkdwn: `*bold*`, `_italic_`, with `&`, `<`, `>` escaped."""
    return _BOLD.sub(r"*\1*", escape_slack(text))


def to_discord(text: str) -> str:
    """Discord markdown already reads `**bold**` and `_italic_` the same way."""
    return text


def to_plain(text: str) -> str:
    """Text with the emphasis markers removed, for terminals and plain-text fields."""
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))
