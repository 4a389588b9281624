"""Which server's course a learner's DM belongs to (Discord DMs carry no server).

A learner in two servers has two courses and one DM with the bot. Two records keep them apart:

- `DmCourse`: the course the DM is *actively* in, for what the learner types there. It follows
  the learner: a `/tutor` in a server, or a press of a DM card rendered for a server, makes
  that server's course the active one. It keeps the server's name too, so `/tutor` in the DM
  can say whose course this is.
- `CardTenants`: for every card with buttons posted to the DM, the tenant it was rendered for.
  A press in the DM acts on that tenant's course, whichever is active; a card without a record
  (older than `CARD_TTL_S`) acts on nothing, and the learner is told to `/tutor resume`.

Both live beside the learner's DM-tenant keys (the `discord:dm:<user>` hash tag).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from bot.domain.events import Actor
from bot.storage.keys import KeyBuilder

log = logging.getLogger(__name__)

DM_TENANT = "dm"
"""Tenant of a learner who started in their DM rather than in a server."""
DM_COURSE_TTL_S = 180 * 24 * 3600
CARD_TTL_S = 30 * 24 * 3600


def home(user: str) -> Actor:
    """The user as a learner of their own DM tenant: the hash tag of their per-user records."""
    return Actor(platform="discord", tenant=DM_TENANT, user=user)


@dataclass(frozen=True)
class ActiveCourse:
    tenant: str
    server_name: str | None = None

    @property
    def in_server(self) -> bool:
        return self.tenant != DM_TENANT


class DmCourse:
    def __init__(self, client: Redis | RedisCluster, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys

    async def get(self, user: str) -> ActiveCourse:
        try:
            raw = await self.client.get(self.keys.dm_tenant(home(user)))
        except (RedisError, ValueError):
            log.warning("discord: could not read the DM course of discord:dm:%s", user)
            return ActiveCourse(DM_TENANT)
        if raw is None:
            return ActiveCourse(DM_TENANT)
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        try:
            data = json.loads(text)
        except ValueError:
            data = text
        if isinstance(data, dict) and isinstance(data.get("tenant"), str):
            name = data.get("name")
            return ActiveCourse(data["tenant"], name if isinstance(name, str) else None)
        return ActiveCourse(str(data))  # a record from before names were kept: the tenant alone

    async def set(self, user: str, course: ActiveCourse) -> None:
        record = json.dumps({"tenant": course.tenant, "name": course.server_name})
        try:
            await self.client.set(self.keys.dm_tenant(home(user)), record.encode(), ex=DM_COURSE_TTL_S)
        except (RedisError, ValueError):
            log.warning("discord: could not record the DM course of discord:dm:%s", user)


class CardTenants:
    def __init__(self, client: Redis | RedisCluster, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys

    async def remember(self, actor: Actor, message_id: str) -> None:
        try:
            key = self.keys.dm_card_tenant(home(actor.user), message_id)
            await self.client.set(key, actor.tenant.encode(), ex=CARD_TTL_S)
        except (RedisError, ValueError):
            log.warning("discord: could not record which course a card of %s belongs to", actor)

    async def tenant_of(self, user: str, message_id: str) -> str | None:
        try:
            raw = await self.client.get(self.keys.dm_card_tenant(home(user), message_id))
        except (RedisError, ValueError):
            log.warning("discord: could not read which course a card of discord:dm:%s belongs to", user)
            return None
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)
