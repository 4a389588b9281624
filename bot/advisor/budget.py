"""Daily token budgets for the AI advisor, per learner and per tenant, kept in Redis.

Keys (built by `KeyBuilder`; the day is UTC, `YYYYMMDD`; day counters expire after two days):
the learner's tokens today, the tenant's (workspace, guild) tokens today, and a usage hash per
learner for facilitators with fields `<lab_id>:input`, `:output`, `:cache_read`, `:cache_write`,
`:requests` and `:cost_micro_usd`.

Every token the API reports counts toward a budget (input, output, cache reads and writes).
The check happens before a call and the count after it, so a few concurrent turns can overshoot
a budget by one reply each: budgets are a cost guard, not an exact quota.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.advisor.base import Usage
from bot.domain.events import Actor
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

DAY_TTL_SECONDS = 2 * 24 * 3600
USAGE_FIELDS = ("input", "output", "cache_read", "cache_write", "requests", "cost_micro_usd")


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cache_read: float
    cache_write: float

    def nano_usd(self, usage: Usage) -> int:
        """Cost in billionths of a dollar ($1/M tokens = 1000 n$ a token): exact for these prices."""
        return round(
            1000
            * (
                usage.input_tokens * self.input
                + usage.output_tokens * self.output
                + usage.cache_read_tokens * self.cache_read
                + usage.cache_write_tokens * self.cache_write
            )
        )


# Cache writes cost 1.25× input; cache reads 0.1× input.
PRICES: dict[str, Price] = {
    "claude-haiku-5-5": Price(input=0.10, output=0.50, cache_read=0.01, cache_write=0.125),
    "claude-sonnet-5-5": Price(input=2.00, output=10.00, cache_read=0.20, cache_write=2.50),
}
DEFAULT_MODEL = "claude-haiku-5-5"


def _cost(raw: dict[bytes | str, bytes | str]) -> int:
    return sum(int(value) for field, value in raw.items() if _text(field).endswith(":cost_micro_usd"))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def utc_day(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%d")


class BudgetGuard:
    """Says whether a learner may use the AI advisor today, and counts what each reply used."""

    def __init__(
        self,
        redis: AsyncRedis,
        keys: KeyBuilder,
        learner_daily_tokens: int = 200_000,
        tenant_daily_tokens: int = 5_000_000,
        *,
        model: str = DEFAULT_MODEL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.learner_daily_tokens = learner_daily_tokens
        self.tenant_daily_tokens = tenant_daily_tokens
        # Unknown model names get the default's prices: the figure is an estimate either way.
        self.price = PRICES.get(model, PRICES[DEFAULT_MODEL])
        self._clock = clock

    def today(self) -> str:
        return utc_day(self._clock())

    # Operations ------------------------------------------------------------------------------

    async def spent_today(self, actor: Actor) -> tuple[int, int]:
        """(learner tokens, tenant tokens) used today. One round trip."""
        day = self.today()
        # Not a transaction: the two keys live in different cluster slots.
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.keys.learner_tokens(actor, day))
        pipe.get(self.keys.tenant_tokens(actor.platform, actor.tenant, day))
        learner, tenant = await pipe.execute()
        return int(learner or 0), int(tenant or 0)

    async def allowed(self, actor: Actor) -> bool:
        learner, tenant = await self.spent_today(actor)
        return learner < self.learner_daily_tokens and tenant < self.tenant_daily_tokens

    async def record(self, actor: Actor, lab_id: str, usage: Usage) -> None:
        """Count a reply's tokens toward today's budgets and the learner's per-lab usage."""
        total = usage.total
        day = self.today()
        learner_key = self.keys.learner_tokens(actor, day)
        tenant_key = self.keys.tenant_tokens(actor.platform, actor.tenant, day)
        usage_key = self.keys.usage(actor)
        pipe = self.redis.pipeline(transaction=False)
        pipe.incrby(learner_key, total)
        pipe.expire(learner_key, DAY_TTL_SECONDS)
        pipe.incrby(tenant_key, total)
        pipe.expire(tenant_key, DAY_TTL_SECONDS)
        counts = {
            "input": usage.input_tokens,
            "output": usage.output_tokens,
            "cache_read": usage.cache_read_tokens,
            "cache_write": usage.cache_write_tokens,
            "requests": 1,
            # Rounded per reply; the rounding error is under a micro-dollar a reply.
            "cost_micro_usd": (self.price.nano_usd(usage) + 500) // 1000,
        }
        for name, value in counts.items():
            if value:
                pipe.hincrby(usage_key, f"{lab_id}:{name}", value)
        await pipe.execute()

    async def costs(self, actors: Sequence[Actor]) -> list[int]:
        """Each learner's advisor cost so far, in micro-dollars, read in one pipeline (a cluster
        client sends each node its share at once)."""
        pipe = self.redis.pipeline(transaction=False)
        for actor in actors:
            pipe.hgetall(self.keys.usage(actor))
        return [_cost(raw) for raw in await pipe.execute()]

    async def usage(self, actor: Actor) -> dict[str, Any]:
        """Today's token counts and limits, and the learner's usage per lab (for facilitators)."""
        learner, tenant = await self.spent_today(actor)
        raw: dict[bytes | str, bytes | str] = await self.redis.hgetall(self.keys.usage(actor))
        labs: dict[str, dict[str, int]] = {}
        for field, value in raw.items():
            name = field.decode() if isinstance(field, bytes) else field
            # Lab ids may contain ":" (a run suffix), so split at the last one.
            lab_id, _, counter = name.rpartition(":")
            if counter in USAGE_FIELDS:
                labs.setdefault(lab_id, dict.fromkeys(USAGE_FIELDS, 0))[counter] = int(value)
        return {
            "day": self.today(),
            "learner_tokens_today": learner,
            "learner_daily_tokens": self.learner_daily_tokens,
            "tenant_tokens_today": tenant,
            "tenant_daily_tokens": self.tenant_daily_tokens,
            "labs": labs,
            "cost_micro_usd": sum(lab["cost_micro_usd"] for lab in labs.values()),
        }
