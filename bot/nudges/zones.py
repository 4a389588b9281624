"""Learners' own time zones as their platform told them (Slack `users.info` `tz`), cached in
the learner's slot so the sweep, in any process, reads them without asking the platform.

An entry expires after `ZONE_TTL_S` (people move rarely; a week is soon enough to notice) and
is asked again by the next process that plans or sends the learner a nudge; a learner the
platform gives no zone is remembered as such (an empty entry) for `NO_ZONE_TTL_S`, so nobody
asks every sweep. Discord tells no zone: its learners always have the cohort's `timezone`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.domain.events import Actor
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

ZONE_TTL_S = 7 * 86400
NO_ZONE_TTL_S = 86400

ZONED_PLATFORMS = frozenset({"slack"})
"""Platforms that tell a learner's own zone: until it is known, their nudges are planned
without quiet hours and the sender, which asks, holds them to the learner's morning."""

ZoneOf = Callable[[Actor], Awaitable[str | None]]
"""The learner's own zone, asked of their platform (and cached); None when it tells none."""


class ZoneCache:
    def __init__(self, client: AsyncRedis, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys

    async def read(self, actors: Sequence[Actor]) -> list[str | None]:
        """Each learner's cached zone: a name, "" (the platform has none for them), or None
        (not known yet). One pipelined call (split per node on a cluster)."""
        pipe = self.client.pipeline(transaction=False)
        for actor in actors:
            pipe.get(self.keys.time_zone(actor))
        out: list[str | None] = []
        for raw in await pipe.execute():
            out.append(None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw))
        return out

    async def remember(self, actor: Actor, zone: str | None) -> None:
        await self.client.set(
            self.keys.time_zone(actor), zone or "", ex=ZONE_TTL_S if zone else NO_ZONE_TTL_S
        )
