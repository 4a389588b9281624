"""Streamed lab replies: one platform message per reply, edited as the advisor writes.

The engine reports a reply in progress many times a second; platforms limit edits (Slack's
`chat.update` is about 50 a minute per workspace, Discord asks for about one a second per
message). `DraftStreams` posts the first draft at once, then a background pump applies the
latest text at most once per `interval_s`. The advisor is never held up by the platform: a
call to `show` returns at once. When the final reply arrives, the adapter `close`s the stream
(waiting for a post or edit in flight, so nothing lands after the final) and replaces the
draft with the reply, or removes it when the reply never came.

Where a draft is shown (`DraftPlace`) is returned to the engine, which keeps it with the pending
turn: a process that takes over the turn of one that died goes on streaming into that message
(`ReplyProgress.draft`), so the learner never keeps a frozen half reply beside a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.events import Actor
from bot.domain.messages import DraftPlace, ReplyProgress

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Draft:
    """One lab reply being streamed into one message."""

    actor: Actor
    turn: int
    channel: str
    latest: ReplyProgress
    message_id: str | None = None
    shown: str | None = None
    last_edit: float = float("-inf")
    closed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


PostDraft = Callable[[Draft, ReplyProgress], Awaitable[str | None]]
"""Post the first draft; the new message's id, or None when it could not be posted (logged)."""
EditDraft = Callable[[Draft, ReplyProgress], Awaitable[bool]]
"""Show newer text in the draft's message; failures are logged, not raised. False when the
edit was skipped (rate limits kept for real messages): the text is offered again next time;
and when the message is gone (the edit then clears `message_id`, so a new draft is posted)."""


class Pace(Protocol):
    """The clock the edit interval is kept by (tests move one by hand)."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopPace:
    """The event loop's own (monotonic) clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class DraftStreams:
    def __init__(self, interval_s: float, post: PostDraft, edit: EditDraft, pace: Pace | None = None) -> None:
        self.interval_s = interval_s
        self.pace: Pace = pace or LoopPace()
        self._post = post
        self._edit = edit
        self._drafts: dict[tuple[Actor, int], Draft] = {}

    def active(self, actor: Actor, turn: int) -> bool:
        return (actor, turn) in self._drafts

    async def show(
        self, actor: Actor, draft: ReplyProgress, channel: Callable[[], Awaitable[str | None]]
    ) -> DraftPlace | None:
        """Show `draft`, starting a stream the first time: in the message `draft.draft` a stopped
        process left, or else in a new message in `await channel()` (None: no stream). Returns
        where the draft is shown, once it is."""
        key = (actor, draft.turn)
        stream = self._drafts.get(key)
        if stream is None:
            left = draft.draft
            if left is not None:
                # Nothing is known of what the message shows: the next text with words replaces it.
                stream = Draft(actor, draft.turn, left.channel, draft, message_id=left.message_id, shown="")
            else:
                where = await channel()
                if where is None:
                    return None  # the final reply will say what there is to say
                stream = Draft(actor, draft.turn, where, draft)
            stream = self._drafts.setdefault(key, stream)
            if stream.task is None:
                stream.task = asyncio.get_running_loop().create_task(self._pump(stream))
        stream.latest = draft
        stream.wake.set()
        if stream.message_id is None:
            return None
        return DraftPlace(channel=stream.channel, message_id=stream.message_id)

    async def close(self, actor: Actor, turn: int) -> Draft:
        """Stop streaming this reply; the draft (with its message id, if posted) is returned."""
        stream = self._drafts.pop((actor, turn))
        stream.closed = True
        stream.closing.set()
        stream.wake.set()
        if stream.task is not None:
            await asyncio.shield(stream.task)
        return stream

    async def wait_edit_slot(self, stream: Draft) -> None:
        """Wait until the draft's message may be edited again (then it counts as edited)."""
        wait = stream.last_edit + self.interval_s - self.pace.now()
        if wait > 0:
            await self.pace.sleep(wait)
        stream.last_edit = self.pace.now()

    async def _pause(self, stream: Draft, seconds: float) -> None:
        """Wait `seconds`, or less if the stream is closed meanwhile."""
        sleeping = asyncio.ensure_future(self.pace.sleep(seconds))
        closing = asyncio.ensure_future(stream.closing.wait())
        try:
            await asyncio.wait((sleeping, closing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            closing.cancel()

    async def _pump(self, stream: Draft) -> None:
        pace = self.pace
        try:
            while not stream.closed:
                draft = stream.latest
                if stream.message_id is None:
                    stream.last_edit = pace.now()
                    stream.message_id = await self._post(stream, draft)
                    if stream.message_id is None:
                        return  # the final reply will be posted as a new message instead
                    stream.shown = draft.text
                    continue
                if draft.text == stream.shown:
                    stream.wake.clear()
                    await stream.wake.wait()
                    continue
                wait = stream.last_edit + self.interval_s - pace.now()
                if wait > 0:
                    await self._pause(stream, wait)
                    continue
                stream.last_edit = pace.now()
                if await self._edit(stream, draft):
                    stream.shown = draft.text
        except Exception:
            log.exception("streaming a lab reply to %s failed", stream.actor)
