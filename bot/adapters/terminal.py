"""The terminal tutor: one learner, lines in, text out. Works interactively and with piped input.

Buttons are numbered; a line that is a button's number or label presses it, any other line
goes to the current step as text (`resume`, `menu`, `help`, or a message to the lab advisor).
"""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.advisor.factory import advisor_mode_note
from bot.domain.events import Actor, Command, Press, Text
from bot.domain.messages import AdvisorReply, Message, ReplyProgress
from bot.logs import log_to_file
from bot.render.terminal import TerminalCard, render_terminal
from bot.runtime import open_runtime
from bot.settings import Settings

QUIT_WORDS = {"quit", "exit", ":q"}


class TerminalOutbox:
    """Prints messages; streams advisor replies as they are written."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.card = TerminalCard(text="")
        self._streamed: dict[int, str] = {}

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        for message in messages:
            message = self._finish_stream(message)
            card = render_terminal(message)
            if card.text:
                self.out.write(card.text + "\n\n")
            if card.buttons:
                self.card = card
        self.out.flush()

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        printed = self._streamed.get(draft.turn)
        if printed is None:
            self.out.write(f"{draft.advisor}: ")
            printed = ""
        if draft.text.startswith(printed):
            self.out.write(draft.text[len(printed) :])
            self._streamed[draft.turn] = draft.text
        self.out.flush()

    def _finish_stream(self, message: Message) -> Message:
        """Drop an advisor reply already streamed to the screen (print only what is missing)."""
        kept = []
        for block in message.blocks:
            if isinstance(block, AdvisorReply) and block.turn in self._streamed:
                printed = self._streamed.pop(block.turn)
                tail = block.text[len(printed) :] if block.text.startswith(printed) else "\n" + block.text
                self.out.write(tail + "\n\n")
                continue
            kept.append(block)
        return message.model_copy(update={"blocks": tuple(kept)})


def terminal_actor() -> Actor:
    try:
        name = getpass.getuser()
    except Exception:
        name = "learner"
    return Actor(
        platform="terminal", tenant="local", user=re.sub(r"[^A-Za-z0-9._-]", "-", name)[:64] or "learner"
    )


def event_for(line: str, actor: Actor, card: TerminalCard) -> Press | Text:
    button = card.pick(line)
    if button is not None:
        return Press(actor=actor, action=button.action, arg=button.arg, token=button.token)
    return Text(actor=actor, text=line)


async def run_terminal(
    settings: Settings | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    settings = settings or Settings()
    log_to_file(settings.data_dir)
    interactive = stdin.isatty()
    async with open_runtime(settings) as runtime:
        outbox = TerminalOutbox(stdout)
        actor = terminal_actor()
        note = advisor_mode_note(settings)
        if note:
            stdout.write(f"({note})\n\n")
        await runtime.engine.recover(actor, outbox)
        await runtime.engine.handle(Command(actor=actor, name="start"), outbox)
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            line = line.rstrip("\n")
            if not interactive and line:
                stdout.write(f"> {line}\n")
            if line.strip().lower() in QUIT_WORDS:
                break
            if not line.strip():
                continue
            await runtime.engine.handle(event_for(line, actor, outbox.card), outbox)
        stdout.write("Bye. Your progress is saved: run tutorbot again to resume.\n")
    return 0
