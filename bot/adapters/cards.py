"""Remembers which card each posted question message shows, so a click can update it.

When a learner answers a question, the adapter edits that message to show their answer in
place of the buttons (`render_slack_answered`, `render_discord_answered`), which needs the card
the message was rendered from. A click payload carries only the rendered platform message, so
the card is kept in Redis,
beside the learner's other keys (same hash tag, so the same cluster slot), for a week: any
process can update any message, and older questions are simply left as they are.
"""

from __future__ import annotations

import logging

from pydantic import TypeAdapter, ValidationError
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from bot.domain.events import Actor
from bot.domain.messages import Message
from bot.storage.keys import KeyBuilder

log = logging.getLogger(__name__)

CARD_TTL_S = 7 * 24 * 3600

_CARD = TypeAdapter(Message)


class CardMemory:
    def __init__(self, client: Redis | RedisCluster, keys: KeyBuilder, ttl_s: int = CARD_TTL_S) -> None:
        self.client = client
        self.keys = keys
        self.ttl_s = ttl_s

    def key(self, actor: Actor, channel: str, ts: str) -> str:
        return self.keys.posted_card(actor, channel, ts)

    async def remember(self, actor: Actor, channel: str, ts: str, card: Message) -> None:
        try:
            await self.client.set(self.key(actor, channel, ts), _CARD.dump_json(card), ex=self.ttl_s)
        except (RedisError, ValueError):
            # Only the later "answered" edit depends on this; the course goes on without it.
            log.warning("could not remember a card for %s", actor)

    async def recall(self, actor: Actor, channel: str, ts: str) -> Message | None:
        try:
            raw = await self.client.get(self.key(actor, channel, ts))
        except ValueError:  # a channel or message id no real Slack payload has
            return None
        except RedisError:
            log.warning("could not read a card for %s", actor)
            return None
        if raw is None:
            return None
        try:
            return _CARD.validate_json(raw)
        except ValidationError:
            return None
