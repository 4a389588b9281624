"""Recognise platform retries across processes.

Slack re-sends an event it thinks was not acknowledged in time, possibly to another process
behind the load balancer. Whoever claims the event id first in Redis handles it; everyone
else sees a duplicate. The claim is made before the event is handled, so a process that dies
mid-event drops the retry too; the learner recovers with `resume`, as after any lost message.
"""

from __future__ import annotations

from redis.asyncio import Redis, RedisCluster

from bot.storage.keys import KeyBuilder


class EventDeduper:
    def __init__(self, client: Redis | RedisCluster, keys: KeyBuilder, ttl_s: int = 3600) -> None:
        if ttl_s < 1:
            raise ValueError("ttl_s must be positive")
        self.client = client
        self.keys = keys
        self.ttl_s = ttl_s

    async def first_time(self, namespace: str, event_id: str) -> bool:
        """True for the first sighting of `event_id` in `namespace` within `ttl_s`, False for
        every later one. Put the tenant in `namespace` (e.g. `slack.T123`) when ids are only
        unique per tenant. One round trip (SET NX EX)."""
        claimed = await self.client.set(self.keys.dedupe(namespace, event_id), b"1", nx=True, ex=self.ttl_s)
        return bool(claimed)
