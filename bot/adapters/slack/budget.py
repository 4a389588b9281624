"""Slack's rate limits, kept rather than only retried: a budget per workspace per Web API method.

Slack limits each method per app per workspace in tiers (`chat.update`, `chat.delete`,
`conversations.open` and `conversations.history` are Tier 3, about 50 a minute;
`chat.postEphemeral` and `views.publish` Tier 4, about 100), and `chat.postMessage` to about one a second per channel with short bursts.
Every process of the app shares one budget per (workspace, method) in Redis: a GCRA limiter
(one key holding the "theoretical arrival time", one Lua script, one slot), set a little under
Slack's figures so that Slack seldom has to say 429 at all.

Calls have a priority. `REAL` calls (cards, final replies, notices) wait for their turn. `DRAFT`
calls (the edits that fill in a streamed lab reply) never wait and may use only part of the
burst: while real messages keep a method busy, drafts are refused and their edits skipped, so
with many learners in labs each reply is edited less often, and real messages go first.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import Enum

from redis.exceptions import RedisError

from bot import cancellation
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

log = logging.getLogger(__name__)


class Priority(Enum):
    REAL = "real"
    DRAFT = "draft"


@dataclass(frozen=True)
class Limit:
    calls: float
    per_s: float
    burst: int
    """How many calls may go at once after a quiet spell."""

    @property
    def interval_ms(self) -> int:
        return max(1, round(self.per_s * 1000 / self.calls))


LIMITS: dict[str, Limit] = {
    "chat.update": Limit(45, 60, 10),  # Tier 3: 50+ a minute
    "chat.delete": Limit(45, 60, 10),  # Tier 3
    "conversations.open": Limit(45, 60, 10),  # Tier 3
    "conversations.history": Limit(45, 60, 10),  # Tier 3
    "chat.postEphemeral": Limit(90, 60, 20),  # Tier 4: 100+ a minute
    "views.publish": Limit(90, 60, 20),  # Tier 4
}
POST_PER_CHANNEL = Limit(1, 1.1, 3)
"""chat.postMessage: about one a second per channel, with short bursts."""
DRAFT_SHARE = 0.5
"""Drafts may use this share of a burst: the rest is kept for real messages."""

GCRA_LUA = """
-- KEYS[1]: the budget; ARGV[1]: ms between calls; ARGV[2]: ms this priority may run ahead;
-- ARGV[3]: "1" to only look. Returns 0 when the call may go (and counts it), else the ms to wait.
local interval = tonumber(ARGV[1])
local ahead = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > ahead then return tat - now - ahead end
if ARGV[3] == '1' then return 0 end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', next_tat - now + 1000)
return 0
"""


class SlackBudget:
    def __init__(
        self,
        redis: AsyncRedis,
        keys: KeyBuilder,
        *,
        limits: dict[str, Limit] | None = None,
        post_per_channel: Limit = POST_PER_CHANNEL,
    ) -> None:
        self._keys = keys
        self._limits = LIMITS if limits is None else limits
        self._post = post_per_channel
        self._gcra = redis.register_script(GCRA_LUA)
        self.waited = 0
        """Real calls that had to wait for their turn (this process)."""
        self.skipped = 0
        """Draft edits refused to keep the budget for real messages (this process)."""

    async def has_room(self, tenant: str, method: str, priority: Priority = Priority.DRAFT) -> bool:
        """Whether a call of `priority` could go now, without counting one."""
        limit = self._limits.get(method)
        if limit is None:
            return True
        share = DRAFT_SHARE if priority is Priority.DRAFT else 1.0
        ahead_ms = max(0, round(limit.interval_ms * (limit.burst * share - 1)))
        key = self._keys.slack_budget(tenant, method)
        wait_ms = await self._ask(key, limit, ahead_ms, peek=True)
        return wait_ms <= 0

    async def take(
        self,
        tenant: str,
        method: str,
        *,
        channel: str | None = None,
        priority: Priority = Priority.REAL,
        max_wait_s: float | None = None,
    ) -> bool:
        """Whether the call may go now. A real call waits for its turn (up to `max_wait_s`, when
        given); a draft is answered at once. Methods without a known limit always may."""
        limit, name = (
            (self._post, f"{method}:{channel}")
            if method == "chat.postMessage"
            else (
                self._limits.get(method),
                method,
            )
        )
        if limit is None or (method == "chat.postMessage" and not channel):
            return True
        share = DRAFT_SHARE if priority is Priority.DRAFT else 1.0
        ahead_ms = max(0, round(limit.interval_ms * (limit.burst * share - 1)))
        key = self._keys.slack_budget(tenant, name)
        loop = asyncio.get_running_loop()
        deadline = None if max_wait_s is None else loop.time() + max_wait_s
        waited = False
        while True:
            wait_ms = await self._ask(key, limit, ahead_ms, peek=False)
            if wait_ms <= 0:
                self.waited += waited
                return True
            if priority is Priority.DRAFT:
                self.skipped += 1
                return False
            wait_s = wait_ms / 1000
            if deadline is not None and loop.time() + wait_s > deadline:
                return False
            waited = True
            await cancellation.sleep(wait_s)

    async def _ask(self, key: str, limit: Limit, ahead_ms: int, *, peek: bool) -> int:
        try:
            return int(await self._gcra(keys=[key], args=[limit.interval_ms, ahead_ms, "1" if peek else "0"]))
        except RedisError:
            # Without Redis the budget cannot be shared: let the call go. Slack's 429s (retried
            # after Retry-After) still hold the line, and the learner is not kept waiting.
            return 0
