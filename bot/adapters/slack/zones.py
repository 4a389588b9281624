"""Slack learners' own time zones: `users.info` → `user.tz`, asked once per learner and kept in
the learner's `ZoneCache` entry (a week; a day for a learner Slack gives none), so the nudge
sweep in any process plans quiet hours and weekends in the learner's zone."""

from __future__ import annotations

import logging

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from bot.adapters.platform import Refused
from bot.adapters.slack.outbox import SlackOutbox
from bot.domain.events import Actor
from bot.nudges.zones import ZoneCache

log = logging.getLogger(__name__)


class SlackZones:
    def __init__(self, cache: ZoneCache, outbox: SlackOutbox) -> None:
        self.cache = cache
        self.outbox = outbox

    async def __call__(self, actor: Actor) -> str | None:
        """The learner's zone (cached, or asked of Slack); None when Slack will not say."""
        [known] = await self.cache.read([actor])
        if known is not None:
            return known or None
        try:
            token = await self.outbox.api.token(actor)
            response = await self.outbox.client.users_info(token=token, user=actor.user)
        except Refused as refused:  # not installed there: nothing to remember
            log.info("slack: no time zone for %s: %s", actor, refused.reason)
            return None
        except SlackApiError as error:  # user_not_found and the like: they have no zone to tell
            log.info("slack: users.info for %s refused: %s", actor, error.response.get("error"))
            await self.cache.remember(actor, None)
            return None
        except (ClientError, TimeoutError) as error:  # the network: asked again next time
            log.info("slack: users.info for %s failed: %s", actor, type(error).__name__)
            return None
        user = response.get("user") or {}
        zone = user.get("tz") if isinstance(user.get("tz"), str) else None
        await self.cache.remember(actor, zone)
        return zone
