"""The words `/tutor` takes, on every platform (Slack: `/tutor start`; Discord: the subcommand `/tutor start`)."""

from __future__ import annotations

from bot.domain.events import CommandName

WORDS: dict[str, CommandName] = {
    "start": "start",
    "resume": "resume",
    "progress": "progress",
    "help": "help",
    "pause": "pause",
}


def command_name(word: str) -> CommandName:
    """The command a word asks for; a missing or unknown word is answered with help."""
    return WORDS.get(word.strip().lower(), "help")
