"""`tutorbot discord`: run the Discord bot (gateway client) until SIGINT/SIGTERM.

Needs DISCORD_BOT_TOKEN. DISCORD_SHARD_COUNT (and DISCORD_SHARD_IDS, the shards this process
runs) switch to `AutoShardedClient`; DM events all arrive on shard 0, so one process must run
it. Several processes share one Redis (`REDIS_URL`).

On SIGINT/SIGTERM the runner stops taking new events, waits for the engine work already
accepted (up to `bot.adapters.shutdown.DRAIN_TIMEOUT_S`), then closes the gateway and Redis.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

import discord
from bot.adapters.discord.app import DiscordAdapter, build_discord_adapter, sync_commands_if_changed
from bot.adapters.discord.outbox import Origin
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.recovery import dm_delivery, keep_recovering
from bot.adapters.shutdown import finish_accepted_work, stop_on_signals
from bot.adapters.timed_jobs import RECURRING, timed_handlers
from bot.event_loop import run as run_loop
from bot.logs import log_to_stderr
from bot.runtime import open_runtime
from bot.scheduler.service import scheduler_in_background
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run_discord(
    *,
    settings: Settings | None = None,
    discord_settings: DiscordSettings | None = None,
    err: TextIO = sys.stderr,
    stop: asyncio.Event | None = None,
    long_lived: bool = False,
) -> int:
    """Run until SIGINT/SIGTERM (or until `stop` is set), then finish the work already accepted.
    0 on a clean stop, 1 if Discord refuses the token, 2 on bad settings. `long_lived`: this
    process serves until it exits (see `open_runtime`)."""
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
    stop = stop or asyncio.Event()
    async with open_runtime(settings, long_lived=long_lived) as runtime:
        secret = settings.certificate_secret
        adapter = build_discord_adapter(
            discord_settings,
            runtime.engine,
            runtime.redis,
            runtime.keys,
            certificate_secret=secret.get_secret_value() if secret else None,
        )
        client = adapter.client

        async def setup_hook() -> None:
            dev_guild = discord_settings.discord_dev_guild
            if await sync_commands_if_changed(adapter.tree, runtime.redis, runtime.keys, dev_guild):
                where = f"to server {dev_guild}" if dev_guild else "globally"
                log.info("discord: command definitions changed and were uploaded %s", where)

        client.setup_hook = setup_hook  # type: ignore[method-assign]  # the hook discord.py awaits before it connects
        deliver = dm_delivery(adapter.worker, lambda: adapter.outbox.at(Origin()))
        recovering = asyncio.create_task(
            keep_recovering(runtime.engine, deliver, interval_s=runtime.engine.config.renew_every_s)
        )
        try:
            with stop_on_signals(stop):
                # Discord tells no time zone: its learners' nudges keep the cohort's.
                jobs = {**timed_handlers(runtime, adapter.outbox, "discord"), **adapter.timed_jobs}
                async with scheduler_in_background(runtime, jobs, recurring=RECURRING):
                    await _serve_until(adapter, discord_settings.discord_bot_token.get_secret_value(), stop)
        except discord.LoginFailure:
            err.write(
                "Discord refused DISCORD_BOT_TOKEN. Reset it in the Developer Portal (Bot → Reset Token).\n"
            )
            return 1
        except discord.PrivilegedIntentsRequired:
            err.write("Discord refused the gateway intents; the bot needs none of the privileged ones.\n")
            return 1
        finally:
            recovering.cancel()
    return 0


async def _serve_until(adapter: DiscordAdapter, token: str, stop: asyncio.Event) -> None:
    """Connect and serve until `stop` is set or the client ends; then take no new events, finish
    the accepted ones while the REST client is still open, and close."""
    client = adapter.client
    async with client:
        serving = asyncio.create_task(client.start(token))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            adapter.handlers.intake.stop_accepting()
            await finish_accepted_work(adapter.worker, "Discord")
            await client.close()
        await serving  # its error, if it failed (a refused token)


def main() -> int:
    try:
        return run_loop(run_discord(long_lived=True))
    except KeyboardInterrupt:
        return 130
