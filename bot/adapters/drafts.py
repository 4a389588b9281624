"""Streamed lab replies: one platform message per reply, edited as the advisor writes.

The engine reports a reply in progress many times a second; platforms limit edits (Slack's
`chat.update` is about 50 a minute per workspace, Discord asks for about one a second per
message). `DraftStreams` posts the first draft at once, then a background pump applies the
latest text at most once per `interval_s`. The advisor is never held up by the platform: a
call to `show` returns at once. When the final reply arrives, the adapter `close`s the stream
(waiting for a post or edit in flight, so nothing lands after the final) and replaces the
draft with the reply, or removes it when the reply never came.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.domain.events import Actor
from bot.domain.messages import ReplyProgress

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
edit was skipped (rate limits kept for real messages): the text is offered again next time."""


class DraftStreams:
    def __init__(self, interval_s: float, post: PostDraft, edit: EditDraft) -> None:
        self.interval_s = interval_s
        self._post = post
        self._edit = edit
        self._drafts: dict[tuple[Actor, int], Draft] = {}

    def active(self, actor: Actor, turn: int) -> bool:
        return (actor, turn) in self._drafts

    async def show(
        self, actor: Actor, draft: ReplyProgress, channel: Callable[[], Awaitable[str | None]]
    ) -> None:
        """Show `draft`, starting a stream in `await channel()` the first time (None: don't)."""
        key = (actor, draft.turn)
        stream = self._drafts.get(key)
        if stream is None:
            where = await channel()
            if where is None:
                return  # the final reply will say what there is to say
            stream = self._drafts.setdefault(key, Draft(actor, draft.turn, where, draft))
            if stream.task is None:
                stream.task = asyncio.get_running_loop().create_task(self._pump(stream))
        stream.latest = draft
        stream.wake.set()

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
        loop = asyncio.get_running_loop()
        wait = stream.last_edit + self.interval_s - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        stream.last_edit = loop.time()

    async def _pump(self, stream: Draft) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not stream.closed:
                draft = stream.latest
                if stream.message_id is None:
                    stream.last_edit = loop.time()
                    stream.message_id = await self._post(stream, draft)
                    if stream.message_id is None:
                        return  # the final reply will be posted as a new message instead
                    stream.shown = draft.text
                    continue
                if draft.text == stream.shown:
                    stream.wake.clear()
                    await stream.wake.wait()
                    continue
                wait = stream.last_edit + self.interval_s - loop.time()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stream.closing.wait(), wait)
                    continue
                stream.last_edit = loop.time()
                if await self._edit(stream, draft):
                    stream.shown = draft.text
        except Exception:
            log.exception("streaming a lab reply to %s failed", stream.actor)
