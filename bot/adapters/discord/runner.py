"""`tutorbot discord`: run the Discord bot (gateway client) until SIGINT/SIGTERM.

Needs DISCORD_BOT_TOKEN. DISCORD_SHARD_COUNT (and DISCORD_SHARD_IDS, the shards this process
runs) switch to `AutoShardedClient`; DM events all arrive on shard 0, so one process must run
it. Several processes share one Redis (`REDIS_URL`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

from discord.http import Route

import discord
from bot.adapters.discord.app import build_discord_adapter, sync_commands_if_changed
from bot.adapters.discord.settings import DiscordSettings
from bot.logs import log_to_stderr
from bot.runtime import open_runtime
from bot.settings import Settings

log = logging.getLogger(__name__)

DRAIN_TIMEOUT_S = 30.0


def use_api_url(url: str) -> None:
    """Point discord.py's REST calls (bot and interaction webhooks) at `url`, e.g. a proxy.
    `Route.BASE` is process-wide in discord.py; one bot per process is the model here."""
    Route.BASE = url.rstrip("/")


async def run_discord(
    *,
    settings: Settings | None = None,
    discord_settings: DiscordSettings | None = None,
    err: TextIO = sys.stderr,
) -> int:
    """Run until stopped. 0 on a clean stop, 1 if Discord refuses the token, 2 on bad settings."""
    settings = settings or Settings()
    discord_settings = discord_settings or DiscordSettings()
    problems = discord_settings.problems()
    if problems:
        err.write("Cannot start the Discord bot:\n")
        err.writelines(f"  - {problem}\n" for problem in problems)
        err.write("Set them in the environment or in .env (see the README's Discord section).\n")
        return 2
    assert discord_settings.discord_bot_token is not None
    log_to_stderr()
    if discord_settings.discord_api_url:
        use_api_url(discord_settings.discord_api_url)
    async with open_runtime(settings) as runtime:
        adapter = build_discord_adapter(discord_settings, runtime.engine, runtime.redis, runtime.keys)
        client = adapter.client

        async def setup_hook() -> None:
            if await sync_commands_if_changed(adapter.tree, runtime.redis, runtime.keys):
                log.info("discord: /tutor definitions changed and were uploaded")

        client.setup_hook = setup_hook  # type: ignore[method-assign]
        try:
            async with client:
                await client.start(discord_settings.discord_bot_token.get_secret_value())
        except discord.LoginFailure:
            err.write(
                "Discord refused DISCORD_BOT_TOKEN. Reset it in the Developer Portal (Bot → Reset Token).\n"
            )
            return 1
        except discord.PrivilegedIntentsRequired:
            err.write("Discord refused the gateway intents; the bot needs none of the privileged ones.\n")
            return 1
        finally:
            # The gateway is closed; finish engine work already accepted before Redis closes.
            if not await adapter.worker.drain(DRAIN_TIMEOUT_S):
                log.warning("stopped with %d Discord events still being handled", adapter.worker.pending)
    return 0


def main() -> int:
    try:
        return asyncio.run(run_discord())
    except KeyboardInterrupt:
        return 130
