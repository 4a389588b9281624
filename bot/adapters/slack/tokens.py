"""Which bot token serves a tenant, for calls the app makes on its own (posting cards, edits).

Requests are authorised by Bolt, which also rotates expiring tokens; the outbox, working after
the ack, asks a `TokenSource` for the tenant of the learner it writes to.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from bot.adapters.slack.installations import RedisInstallationStore

log = logging.getLogger(__name__)


class TokenSource(Protocol):
    async def token_for(self, tenant: str) -> str | None:
        """The bot token for `tenant`, or None when the app is not installed there."""
        ...


class SingleToken:
    """Single-workspace mode: one token. Requests from other tenants are refused at the door
    (see `app.py`), so whatever reaches the outbox is the token's own workspace."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    async def token_for(self, tenant: str) -> str | None:
        return self._token


class InstalledTokens:
    """OAuth mode: each tenant's bot token from the installation store, refreshed (and saved)
    when token rotation is on and it expires within `rotate_minutes`."""

    def __init__(
        self, store: RedisInstallationStore, rotator: AsyncTokenRotator | None, rotate_minutes: int
    ) -> None:
        self._store = store
        self._rotator = rotator
        self._rotate_minutes = rotate_minutes

    async def token_for(self, tenant: str) -> str | None:
        bot = await self._store.async_find_bot(
            enterprise_id=None, team_id=tenant, is_enterprise_install=False
        )
        if bot is None:
            log.warning("slack: no installation for tenant %s", tenant)
            return None
        expires = bot.bot_token_expires_at
        if (
            self._rotator is None
            or bot.bot_refresh_token is None
            or expires is None
            or expires > time.time() + self._rotate_minutes * 60
        ):
            return bot.bot_token
        try:
            fresh = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self._rotate_minutes
            )
        except (SlackTokenRotationError, SlackApiError):
            log.error("slack: refreshing the token of tenant %s failed", tenant)
            return bot.bot_token
        if fresh is None:
            return bot.bot_token
        await self._store.async_save_bot(fresh)
        return fresh.bot_token
