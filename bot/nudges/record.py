"""Each learner's nudge bookkeeping, in their own slot: `paused_at`, and how many nudges went
out in the current inactive stretch (`stretch`, `sent`).

A pause holds until the learner is active again or resumes: activity after `paused_at` ends
it, so nothing has to clear it. Nudges counted for an older stretch count as none.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.domain.events import Actor
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder


class NudgeRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    paused_at: float | None = None
    stretch: float | None = None
    sent: int = 0

    def paused(self, last_active: float) -> bool:
        return self.paused_at is not None and self.paused_at >= last_active

    def sent_in(self, stretch: float) -> int:
        return self.sent if self.stretch == stretch else 0


def _record(raw: dict[bytes, bytes]) -> NudgeRecord:
    paused = raw.get(b"paused_at")
    stretch = raw.get(b"stretch")
    return NudgeRecord(
        paused_at=float(paused) if paused else None,
        stretch=float(stretch) if stretch else None,
        sent=int(raw.get(b"sent", b"0")),
    )


class NudgeRecords:
    def __init__(self, client: AsyncRedis, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys

    async def read(self, actors: Sequence[Actor]) -> list[NudgeRecord]:
        """One pipelined call (split per node on a cluster)."""
        pipe = self.client.pipeline(transaction=False)
        for actor in actors:
            pipe.hgetall(self.keys.nudges(actor))
        return [_record(raw) for raw in await pipe.execute()]

    async def pause(self, actor: Actor, now: float) -> None:
        await self.client.hset(self.keys.nudges(actor), "paused_at", repr(now))

    async def resume(self, actor: Actor) -> bool:
        """False when the learner was not paused."""
        return bool(await self.client.hdel(self.keys.nudges(actor), "paused_at"))

    async def count_sent(self, actor: Actor, stretch: float, number: int) -> None:
        await self.client.hset(
            self.keys.nudges(actor), mapping={"stretch": repr(stretch), "sent": str(number)}
        )
