"""The platforms `tutorbot scheduler` reaches when it runs apart from the bot processes: the
Slack Web API and Discord's REST API, through the same outboxes the bots use (no Socket Mode,
no gateway), for each platform whose settings are there (`SLACK_BOT_TOKEN`, or the OAuth
settings with `TOKEN_ENCRYPTION_KEY`; `DISCORD_BOT_TOKEN`). With neither it still plans (the
nudge sweep), and the bots' own schedulers send."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.adapters.timed_jobs import timed_handlers
from bot.nudges.sweep import sweep_handlers
from bot.releases.sweep import release_sweep_handlers
from bot.runtime import Runtime
from bot.scheduler.clock import Clock
from bot.scheduler.runner import Handler

log = logging.getLogger("tutorbot.scheduler")


@asynccontextmanager
async def platform_handlers(runtime: Runtime, clock: Clock) -> AsyncIterator[dict[str, Handler]]:
    """The sweep, and the timed jobs of every platform this process can reach while the block runs."""
    import discord
    from bot.adapters.discord.app import build_discord_adapter
    from bot.adapters.discord.settings import DiscordSettings
    from bot.adapters.slack.app import build_slack_adapter, oauth_mode
    from bot.storage.token_cipher import TokenKeyError

    settings = runtime.settings
    handlers = {
        **sweep_handlers(runtime.store, runtime.engine.course, clock),
        **release_sweep_handlers(runtime, clock),
    }
    closing: list[Callable[[], Awaitable[None]]] = []
    if settings.slack_bot_token or oauth_mode(settings):
        try:
            slack = build_slack_adapter(settings, runtime.engine, runtime.redis)
        except TokenKeyError as error:
            raise SystemExit(f"tutorbot scheduler: {error}") from None
        handlers.update(timed_handlers(runtime, slack.outbox, "slack", zone_of=slack.zones, clock=clock))
    discord_settings = DiscordSettings()
    if discord_settings.discord_bot_token:
        adapter = build_discord_adapter(discord_settings, runtime.engine, runtime.redis, runtime.keys)
        try:
            await adapter.client.login(discord_settings.discord_bot_token.get_secret_value())
        except discord.LoginFailure:
            await adapter.client.close()
            raise SystemExit("tutorbot scheduler: Discord refused DISCORD_BOT_TOKEN.") from None
        closing.append(adapter.client.close)
        handlers.update(timed_handlers(runtime, adapter.outbox, "discord", clock=clock))
        handlers.update(adapter.timed_jobs)  # pass roles
    log.info("scheduler: running %s", ", ".join(sorted(handlers)))
    try:
        yield handlers
    finally:
        for close in closing:
            await close()
