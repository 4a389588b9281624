"""Each learner's nudge bookkeeping, in their own slot: `paused_at`, how many nudges went
out in the current inactive stretch (`stretch`, `sent`) and when the last one did (`sent_at`).

While a nudge is being posted, `posting` names its job and `posted_before` keeps the `sent_at`
it replaced: counted, and not yet confirmed as having reached the platform. A job taken over
with its own claim still unconfirmed asks the platform whether the post went out
(`bot.nudges.sender`) instead of guessing.

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
    sent_at: float | None = None
    posting: str | None = None
    """The job whose nudge was counted and whose post is not confirmed yet."""

    def unconfirmed(self, job_id: str, stretch: float, number: int) -> bool:
        """Nudge `number` of `stretch` was counted by job `job_id`, which never confirmed it."""
        return self.posting == job_id and self.stretch == stretch and self.sent == number

    def paused(self, last_active: float) -> bool:
        return self.paused_at is not None and self.paused_at >= last_active

    def sent_in(self, stretch: float) -> int:
        return self.sent if self.stretch == stretch else 0

    def last_sent_in(self, stretch: float) -> float | None:
        return self.sent_at if self.stretch == stretch and self.sent else None


def _record(raw: dict[bytes, bytes]) -> NudgeRecord:
    paused = raw.get(b"paused_at")
    stretch = raw.get(b"stretch")
    sent_at = raw.get(b"sent_at")
    posting = raw.get(b"posting")
    return NudgeRecord(
        paused_at=float(paused) if paused else None,
        stretch=float(stretch) if stretch else None,
        sent=int(raw.get(b"sent", b"0")),
        sent_at=float(sent_at) if sent_at else None,
        posting=posting.decode() if posting else None,
    )


CLAIM_SEND_LUA = """
-- KEYS: the learner's nudges hash. ARGV: stretch, number, now, job id.
-- Counts nudge `number` of `stretch` as sent at `now` and being posted by the job, unless it
-- (or a later one) already is.
local stretch = redis.call('HGET', KEYS[1], 'stretch')
if stretch == ARGV[1] and tonumber(redis.call('HGET', KEYS[1], 'sent') or '0') >= tonumber(ARGV[2]) then
  return 0
end
local before = ''
if stretch == ARGV[1] then before = redis.call('HGET', KEYS[1], 'sent_at') or '' end
redis.call('HSET', KEYS[1], 'stretch', ARGV[1], 'sent', ARGV[2], 'sent_at', ARGV[3],
           'posting', ARGV[4], 'posted_before', before)
return 1
"""

CONFIRM_LUA = """
-- KEYS: the learner's nudges hash. ARGV: job id.
-- The job's post reached the platform: its claim is settled.
if redis.call('HGET', KEYS[1], 'posting') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'posting', 'posted_before')
end
return 1
"""

UNCLAIM_LUA = """
-- KEYS: the learner's nudges hash. ARGV: stretch, number, job id.
-- Gives back nudge `number` of `stretch` when it is still the last counted, by this job (a post
-- that failed): `sent_at` goes back to what it was before.
if redis.call('HGET', KEYS[1], 'stretch') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'sent') ~= ARGV[2]
   or redis.call('HGET', KEYS[1], 'posting') ~= ARGV[3] then
  return 0
end
local before = redis.call('HGET', KEYS[1], 'posted_before') or ''
redis.call('HSET', KEYS[1], 'sent', tostring(tonumber(ARGV[2]) - 1))
if before == '' then redis.call('HDEL', KEYS[1], 'sent_at') else redis.call('HSET', KEYS[1], 'sent_at', before) end
redis.call('HDEL', KEYS[1], 'posting', 'posted_before')
return 1
"""


class NudgeRecords:
    def __init__(self, client: AsyncRedis, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys
        self._claim_send = client.register_script(CLAIM_SEND_LUA)
        self._unclaim_send = client.register_script(UNCLAIM_LUA)
        self._confirm = client.register_script(CONFIRM_LUA)

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

    async def claim_send(self, actor: Actor, stretch: float, number: int, now: float, job_id: str) -> bool:
        """Count nudge `number` of the stretch as sent at `now` and being posted by `job_id`,
        before it is posted; False when it (or a later one) was counted already."""
        args: list[str | int] = [repr(stretch), number, repr(now), job_id]
        return bool(await self._claim_send(keys=[self.keys.nudges(actor)], args=args))

    async def confirm(self, actor: Actor, job_id: str) -> None:
        """The post of `job_id`'s nudge reached the platform."""
        await self._confirm(keys=[self.keys.nudges(actor)], args=[job_id])

    async def give_back(self, actor: Actor, stretch: float, number: int, job_id: str) -> None:
        """Un-count nudge `number`, counted by `job_id` (its post failed and will be tried again)."""
        args: list[str | int] = [repr(stretch), number, job_id]
        await self._unclaim_send(keys=[self.keys.nudges(actor)], args=args)

    async def count_sent(self, actor: Actor, stretch: float, number: int) -> None:
        await self.client.hset(
            self.keys.nudges(actor), mapping={"stretch": repr(stretch), "sent": str(number)}
        )
