"""The terminal tutor in a pseudo-terminal, driven as a learner types: real keys, real processes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect

from tests.processes import clean_env

TIMEOUT = 60
"""Generous: the machine is shared, and a first start loads the course and starts Redis."""

PROMPT_READY = re.compile(r"\x1b\[\?2004h[^\n]*?>[^\n]*?\x1b\[\?25h")
"""prompt_toolkit drawing the `> ` prompt: bracketed paste on, the prompt, the cursor shown."""
PROMPT_DONE = "\x1b[?2004l"
"""prompt_toolkit handing the line over: bracketed paste off."""

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]|\r")


def plain(text: str) -> str:
    """Terminal output without escape sequences and carriage returns."""
    return _ANSI.sub("", text)


def tutor_env(data_dir: Path) -> dict[str, str]:
    env = clean_env("REDIS_", "ANTHROPIC_", "SLACK_")
    env.update(
        DATA_DIR=str(data_dir),
        TERM="xterm-256color",
        # A pty answers no cursor-position requests; without this prompt_toolkit waits for one.
        PROMPT_TOOLKIT_NO_CPR="1",
        TUTORBOT_LAUNCHER="./run.sh",
    )
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


class Tutor:
    """One `tutorbot` process on a pty of the given size."""

    def __init__(self, data_dir: Path, columns: int = 80, rows: int = 40, args: tuple[str, ...] = ()) -> None:
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "bot", *args],
            cwd=str(data_dir),
            env=tutor_env(data_dir),
            dimensions=(rows, columns),
            encoding="utf-8",
            timeout=TIMEOUT,
        )
        self.seen = ""

    def expect(self, pattern: str) -> str:
        """Wait for `pattern` (a plain string); return the plain text printed before it."""
        self.child.expect_exact(pattern)
        before = plain(self.child.before or "")
        self.seen += before + pattern
        return before

    def prompt(self) -> str:
        """Wait until the `> ` prompt is ready for typing; return what was printed before it."""
        self.child.expect(PROMPT_READY)
        before = plain(self.child.before or "")
        self.seen += before
        return before

    def enter(self, keys: str = "") -> str:
        """Send keys and Enter at the prompt; return what was printed until the next prompt."""
        self.child.send(keys + "\r")
        self.child.expect_exact(PROMPT_DONE)
        return self.prompt()

    def type(self, line: str) -> str:
        """Type a line at the prompt; return what was printed until the next prompt."""
        return self.enter(line)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def quit_and_wait(self) -> str:
        self.child.sendline("quit")
        self.child.expect(pexpect.EOF)
        rest = plain(self.child.before or "")
        self.child.wait()
        return rest

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
