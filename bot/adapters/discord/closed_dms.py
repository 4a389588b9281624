"""Learners whose privacy settings close their DMs to the bot, and where their course goes.

Every refused DM (403, code 50007) counts toward Discord's invalid-request limit (10,000 per
10 minutes, then the whole bot is banned for a while), so a refusal is remembered:
`ClosedDms` marks the user for an hour, doubling each time the DM is found closed again, up to
a week; until then no DM is tried. `/tutor resume` clears the mark, so the next card tries the
DM once more (a learner who opened their DMs is back there at once).

Meanwhile the course continues in a private thread of the server's *course channel*
(`CourseThreads`): one thread per learner, which only they (and the server's moderators) can
see, where they read cards, press buttons and write lab messages. The course channel is set
per cohort (`/cohort channel`, for that cohort's learners), else per server in Redis
(`set_channel`) or by `DISCORD_COURSE_CHANNELS`. Without one, the learner
is told once how to open their DMs, and the cards are shown privately where they acted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from discord.http import Route
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

from bot.adapters.discord.dm_course import home
from bot.adapters.platform import Refused
from bot.domain.events import Actor
from bot.storage.keys import KeyBuilder

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 3600
MAX_BACKOFF_S = 7 * 24 * 3600
COUNT_TTL_S = 30 * 24 * 3600
TOLD_TTL_S = 30 * 24 * 3600
PRIVATE_THREAD = 12
ARCHIVE_AFTER_MIN = 10080
"""A week without messages before Discord archives the thread; posting to it unarchives it."""

THREAD_INTRO = (
    "Your direct messages are closed to this server's members, so your course continues here, "
    "in a private thread only you (and the server's moderators) can see. Press the buttons as "
    "usual. To write in a lab, mention {bot} at the start of your message: I can only read "
    "messages here that mention me. To go back to DMs, allow direct messages from this server "
    "(Server → Privacy Settings) and run `/tutor resume`."
)
MENTION_NEEDED = "I can only read messages here that mention me: start your message with {bot}."

Request = Callable[..., Awaitable[Any]]
"""`DiscordApi.request`: one REST call, raising `Refused`."""


class ClosedDms:
    def __init__(self, client: Redis | RedisCluster, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys

    async def closed(self, user: str) -> bool:
        try:
            return bool(await self.client.exists(self.keys.dms_closed(home(user))))
        except (RedisError, ValueError):
            return False  # trying the DM costs one refusal at worst

    async def mark(self, user: str) -> int:
        """The DM was refused: no DM for the next backoff period (seconds, returned)."""
        actor = home(user)
        try:
            count = int(await self.client.incr(self.keys.dms_closed_count(actor)))
            await self.client.expire(self.keys.dms_closed_count(actor), COUNT_TTL_S)
            backoff: int = min(FIRST_BACKOFF_S * 2 ** min(count - 1, 16), MAX_BACKOFF_S)
            await self.client.set(self.keys.dms_closed(actor), b"1", ex=backoff)
        except (RedisError, ValueError):
            log.warning("discord: could not record that discord:dm:%s has closed DMs", user)
            return 0
        return backoff

    async def retry(self, user: str) -> None:
        """Try the DM again with the next card (`/tutor resume`); the backoff's step is kept."""
        try:
            await self.client.delete(self.keys.dms_closed(home(user)))
        except (RedisError, ValueError):
            log.warning("discord: could not clear the closed-DMs mark of discord:dm:%s", user)

    async def first_telling(self, actor: Actor) -> bool:
        """True once per learner (a month), for the word on how to open DMs."""
        try:
            key = self.keys.dms_closed_told(actor)
            return bool(await self.client.set(key, b"1", nx=True, ex=TOLD_TTL_S))
        except (RedisError, ValueError):
            return True


class CourseThreads:
    def __init__(
        self,
        client: Redis | RedisCluster,
        keys: KeyBuilder,
        request: Request,
        configured: Mapping[str, str] | None = None,
        *,
        bot_id: Callable[[], str | None] = lambda: None,
        cohort_channel: Callable[[Actor], Awaitable[str | None]] | None = None,
    ) -> None:
        self.cohort_channel = cohort_channel
        """The channel of the learner's cohort (`/cohort channel`), which comes first."""
        self.client = client
        self.keys = keys
        self.request = request
        self.configured = dict(configured or {})
        self.bot_id = bot_id

    async def channel_of(self, tenant: str) -> str | None:
        """The server's course channel: set in Redis, else by `DISCORD_COURSE_CHANNELS`."""
        try:
            raw = await self.client.get(self.keys.course_channel("discord", tenant))
        except (RedisError, ValueError):
            raw = None
        if raw is not None:
            return raw.decode() if isinstance(raw, bytes) else str(raw)
        return self.configured.get(tenant)

    async def set_channel(self, tenant: str, channel: str) -> None:
        await self.client.set(self.keys.course_channel("discord", tenant), channel.encode())

    async def learner_of(self, tenant: str, thread: str) -> str | None:
        try:
            raw = await self.client.get(self.keys.thread_learner("discord", tenant, thread))
        except (RedisError, ValueError):
            return None
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def known(self, actor: Actor) -> str | None:
        """The learner's private thread, if one was made (none is made here; Redis errors raise)."""
        raw = await self.client.get(self.keys.course_thread(actor))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def thread_for(self, actor: Actor) -> str | None:
        """The learner's private thread in their server's course channel, made (with the
        learner added and told why) the first time; None without a course channel."""
        try:
            known = await self.known(actor)
        except (RedisError, ValueError):
            return None
        if known is not None:
            return known
        channel = await self._channel_for(actor)
        if channel is None:
            return None
        try:
            thread = await self._open(actor, channel)
        except Refused as error:
            log.warning("discord: no private thread for %s in channel %s: %s", actor, channel, error.reason)
            return None
        await self.client.set(self.keys.course_thread(actor), thread.encode())
        await self.client.set(self.keys.thread_learner("discord", actor.tenant, thread), actor.user.encode())
        return thread

    async def _channel_for(self, actor: Actor) -> str | None:
        """The learner's cohort's channel, else the server's course channel."""
        if self.cohort_channel is not None:
            try:
                found = await self.cohort_channel(actor)
            except (RedisError, ValueError):
                found = None
            if found is not None:
                return found
        return await self.channel_of(actor.tenant)

    async def _open(self, actor: Actor, channel: str) -> str:
        made = await self.request(
            Route("POST", "/channels/{channel_id}/threads", channel_id=channel),
            {
                "name": "Your course",
                "type": PRIVATE_THREAD,
                "invitable": False,  # nobody but moderators can add others
                "auto_archive_duration": ARCHIVE_AFTER_MIN,
            },
        )
        if not isinstance(made, dict) or "id" not in made:
            raise Refused("no thread in the answer")
        thread = str(made["id"])
        route = Route(
            "PUT", "/channels/{channel_id}/thread-members/{user_id}", channel_id=thread, user_id=actor.user
        )
        await self.request(route)
        bot = self.bot_id()
        intro = {
            "content": THREAD_INTRO.format(bot=f"<@{bot}>" if bot else "the bot"),
            "allowed_mentions": {"parse": []},
        }
        await self.request(Route("POST", "/channels/{channel_id}/messages", channel_id=thread), intro)
        return thread
