"""The terminal tutor: one learner, lines in, text out. Works interactively and with piped input.

Buttons are numbered; a line that is a button's number or label (or an answer's letter) presses
it, and any other line goes to the current step as text (`resume`, `menu`, `help`, or a message
to the lab advisor). A line that looks aimed at a button but matches none (`7`, `(2)`) is
answered here, with the same buttons again: numbers always mean the step's buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TextIO

from redis.exceptions import RedisError

from bot.advisor.factory import advisor_mode_note
from bot.domain.codec import UnreadableState, decode
from bot.domain.events import Actor, Command, Press, Text
from bot.domain.messages import AdvisorReply, Button, Message, ReplyProgress
from bot.domain.state import LabStep
from bot.logs import log_to_file
from bot.nudges.controls import NudgeControls
from bot.nudges.record import NudgeRecords
from bot.render.terminal import (
    TerminalCard,
    measure_for,
    render_terminal,
    speaker_line,
    speaker_text,
)
from bot.render.text import truncate
from bot.runtime import Runtime, open_runtime
from bot.settings import Settings
from bot.storage.base import CorruptRecord

QUIT_WORDS = {"quit", "exit", ":q"}
PROMPT = "> "
ENGINE_WORDS = {"continue", "next", "back", "resume", "menu", "progress", "help"}
"""Words the engine understands on any step: typed, they go as text even when a button bears them."""


def launcher() -> str:
    """The command that started the tutor, for the goodbye line (`./run.sh` sets it)."""
    if os.environ.get("TUTORBOT_LAUNCHER"):
        return os.environ["TUTORBOT_LAUNCHER"]
    return "python -m bot" if sys.argv[0].endswith("__main__.py") else "tutorbot"


def goodbye() -> str:
    return f"Bye. Your progress is saved: run {launcher()} again to resume."


class Screen:
    """The terminal's current line width, read again for every card (the window may be resized)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    @property
    def width(self) -> int:
        return measure_for(shutil.get_terminal_size((80, 24)).columns)


class TerminalOutbox:
    """Prints messages; streams advisor replies as they are written, wrapped like the rest."""

    def __init__(self, out: TextIO, screen: Screen | None = None, recap: Recap | None = None) -> None:
        self.out = out
        self.screen = screen or Screen(out)
        self.recap = recap
        self.card = TerminalCard(text="")
        """The last step card with buttons: what numbers refer to."""
        self.notice_buttons = TerminalCard(text="")
        self._streams: dict[int, _Stream] = {}

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        for message in messages:
            message = self._finish_stream(message)
            aside = ""
            if self.recap is not None and any(choice.action == "say" for choice in message.choices):
                aside = self._recap_text(await self.recap(actor))  # a lab card: where the talk was
            card = render_terminal(message, self.screen.width, aside=aside)
            if card.text:
                self.out.write(card.text + "\n\n")
            if card.buttons:
                self.card, self.notice_buttons = card, TerminalCard(text="")
            elif card.by_label:
                self.notice_buttons = card
        self.out.flush()

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        stream = self._streams.get(draft.turn)
        if stream is None:
            stream = self._streams[draft.turn] = _Stream(self.out, self.screen.width, f"{draft.advisor}:")
        stream.show(draft.text)
        self.out.flush()

    def _recap_text(self, turns: Sequence[tuple[str, str]]) -> str:
        if not turns:
            return ""
        said = [
            speaker_text(f"{who}:", truncate(text, RECAP_CHARS), self.screen.width) for who, text in turns
        ]
        return "\n".join(["Earlier in this lab:", *said])

    def say(self, text: str) -> None:
        """Print a line as the learner's own message (a pressed opener)."""
        self.out.write(speaker_text("You:", text, self.screen.width) + "\n\n")
        self.out.flush()

    def pick(self, line: str) -> Button | None:
        """The button a typed line presses, if any (step buttons first, then a notice's)."""
        return self.card.pick(line) or self.notice_buttons.pick(line)

    def _finish_stream(self, message: Message) -> Message:
        """Drop an advisor reply already streamed to the screen (print only what is missing)."""
        kept = []
        for block in message.blocks:
            if isinstance(block, AdvisorReply) and block.turn in self._streams:
                self._streams.pop(block.turn).finish(block.text)
                continue
            kept.append(block)
        return message.replaced(blocks=tuple(kept))


class _Stream:
    """A reply printed as it arrives, a whole line at a time, laid out like a finished reply
    (quotes barred, lines indented under the speaker)."""

    def __init__(self, out: TextIO, width: int, speaker: str) -> None:
        self.out, self.width, self.speaker = out, width, speaker
        self.shown = ""

    def show(self, text: str) -> None:
        if not text.startswith(self.shown):
            return  # a rewritten draft: the final reply prints in full
        complete = text[: text.rfind("\n") + 1]
        if len(complete) > len(self.shown):
            self._write(complete[len(self.shown) :])
            self.shown = complete

    def finish(self, text: str) -> None:
        if text.startswith(self.shown):
            self._write(text[len(self.shown) :])
        else:
            self.out.write("\n" + speaker_text(self.speaker, text, self.width) + "\n")
        self.out.write("\n")

    def _write(self, piece: str) -> None:
        for line in piece.removesuffix("\n").split("\n"):
            opening = "" if self.shown or self._started else self.speaker
            if opening and not line.strip():
                continue  # no blank line between the speaker's name and what they say
            self.out.write(speaker_line(line, self.width, opening) + "\n")
            self._started = True

    _started = False


Recap = Callable[[Actor], Awaitable[list[tuple[str, str]]]]
"""The last few turns of the lab the learner is in, as (speaker, text)."""

RECAP_TURNS = 4
RECAP_CHARS = 300


def lab_recap(runtime: Runtime) -> Recap:
    """Reads the learner's lab transcript, so coming back to a lab shows how the talk went."""

    async def recap(actor: Actor) -> list[tuple[str, str]]:
        try:
            record = await runtime.store.load(actor)
            state = decode(record.data) if record else None
        except (CorruptRecord, UnreadableState, RedisError):  # the engine reports those; no recap
            return []
        if state is None or not isinstance(state.step, LabStep):
            return []
        found = runtime.module.lab(state.step.lab_id)
        if found is None:
            return []
        lines = [json.loads(line) for line in await runtime.store.transcript(actor, found[1].id, RECAP_TURNS)]
        names = {"learner": "You", "advisor": found[1].advisor}
        return [(names.get(line.get("role"), "?"), str(line.get("text", ""))) for line in lines]

    return recap


def terminal_actor() -> Actor:
    try:
        name = getpass.getuser()
    except Exception:
        name = "learner"
    return Actor(
        platform="terminal", tenant="local", user=re.sub(r"[^A-Za-z0-9._-]", "-", name)[:64] or "learner"
    )


class LineInput(Protocol):
    async def read(self) -> str | None:
        """The next message (None at the end of input). Raises KeyboardInterrupt on Ctrl-C."""
        ...


class PromptInput:
    """A real terminal: line editing, arrow keys, history; a bracketed paste is one message."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self.session: PromptSession[str] = PromptSession(history=InMemoryHistory())

    async def read(self) -> str | None:
        try:
            return await self.session.prompt_async(PROMPT)
        except EOFError:  # Ctrl-D
            return None


class PipedInput:
    """Lines from a pipe or file, one message each, echoed after the prompt so a transcript reads
    like a session. A daemon thread reads, so Ctrl-C never waits for the next line."""

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self.stdin, self.out = stdin, out
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            for line in stdin:
                loop.call_soon_threadsafe(self.queue.put_nowait, line.rstrip("\n"))
            loop.call_soon_threadsafe(self.queue.put_nowait, None)

        threading.Thread(target=pump, name="stdin", daemon=True).start()

    async def read(self) -> str | None:
        typing = self.stdin.isatty()  # a person typing, with the output going elsewhere
        if typing:
            self.out.write(PROMPT)
            self.out.flush()
        line = await self.queue.get()
        if line and not typing:
            self.out.write(f"{PROMPT}{line}\n")
        return line


def line_input(stdin: TextIO, stdout: TextIO) -> LineInput:
    if stdin.isatty() and stdout.isatty():
        return PromptInput()
    return PipedInput(stdin, stdout)


async def run_terminal(
    settings: Settings | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    long_lived: bool = False,
) -> int:
    settings = settings or Settings()
    log_to_file(settings.data_dir)
    async with open_runtime(settings, long_lived=long_lived) as runtime:
        outbox = TerminalOutbox(stdout, recap=lab_recap(runtime))
        try:
            await _session(runtime, settings, line_input(stdin, stdout), outbox, stdout)
        except (KeyboardInterrupt, asyncio.CancelledError):
            # Ctrl-C leaves at once: every step already committed is saved, and a lab message
            # still waiting for its reply is answered on the next start.
            stdout.write("\n")
        stdout.write(goodbye() + "\n")
        stdout.flush()
    return 0


async def _session(
    runtime: Runtime, settings: Settings, lines: LineInput, outbox: TerminalOutbox, stdout: TextIO
) -> None:
    actor = terminal_actor()
    note = advisor_mode_note(settings)
    if note:
        stdout.write(f"({note})\n\n")
    controls = NudgeControls(
        NudgeRecords(runtime.redis, runtime.keys), runtime.engine.clock, runtime.engine.reads_text
    )
    await runtime.engine.recover(actor, outbox)
    await runtime.engine.handle(Command(actor=actor, name="start"), outbox)
    while True:
        line = await lines.read()
        if line is None:
            return
        typed = line.strip()
        if typed.lower() in QUIT_WORDS:
            return
        if not typed:
            continue
        _keep_server(runtime)
        if typed.lower() == "certificate":
            from bot.credentials.terminal import terminal_certificate

            stdout.write(await terminal_certificate(runtime, actor, actor.user) + "\n\n")
            continue
        if await controls.take(Text(actor=actor, text=typed), outbox):
            continue
        button = outbox.pick(typed)
        if button is not None and typed.lower() in ENGINE_WORDS:
            # The engine reads these against the learner's latest step, which another tutor on
            # the same data folder may have moved on since this card was printed.
            button = None
        if button is None and outbox.card.looks_like_a_pick(typed):
            stdout.write(outbox.card.choose_hint(outbox.screen.width) + "\n\n")
            continue
        if button is not None and button.action == "say":
            outbox.say(button.label)
        event = (
            Press(actor=actor, action=button.action, arg=button.arg, token=button.token)
            if button is not None
            else Text(actor=actor, text=line)
        )
        await runtime.engine.handle(event, outbox)


def _keep_server(runtime: Runtime) -> None:
    """A tutor that joined another process's Redis takes it over if that process has quit."""
    embedded = runtime.embedded
    if embedded is not None and not embedded.owner:
        with contextlib.suppress(RuntimeError):
            embedded.take_over()
