"""`tutorbot slack`: run the Slack app in Socket Mode (default) or over HTTP (`--http`).

Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN and no public URL: right for one
process. HTTP mode serves the Events API, slash commands and interactivity at
`/slack/events` (verified with SLACK_SIGNING_SECRET) and `GET /healthz`, and scales to
several processes behind a load balancer when they share one Redis (`REDIS_URL`).

HTTP mode with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead of a bot token installs into
many workspaces: `GET /slack/install` starts Slack's OAuth flow, `GET /slack/oauth_redirect`
completes it, and each workspace's token is kept in Redis, encrypted with TOKEN_ENCRYPTION_KEY.

On SIGINT/SIGTERM the runner stops taking new requests, then waits for the engine work
already accepted (up to `bot.adapters.shutdown.DRAIN_TIMEOUT_S`) before closing Redis.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.adapters.recovery import dm_delivery, keep_recovering
from bot.adapters.shutdown import finish_accepted_work, stop_on_signals
from bot.adapters.slack.app import SlackAdapter, build_slack_adapter, oauth_mode
from bot.adapters.slack.http_edge import refuse_unreadable
from bot.adapters.slack.outbox import Origin
from bot.adapters.timed_jobs import RECURRING, timed_handlers
from bot.adapters.work import Worker
from bot.logs import log_to_stderr
from bot.runtime import open_runtime
from bot.scheduler.service import scheduler_in_background
from bot.settings import Settings
from bot.storage.token_cipher import KEYGEN_HINT, TokenCipher, TokenKeyError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def settings_problems(settings: Settings, http: bool) -> list[str]:
    """What is missing or malformed for the chosen mode. Names settings, never their values."""
    problems: list[str] = []
    if oauth_mode(settings):
        return _oauth_problems(settings, http)

    def check(name: str, value: SecretStr | None, prefix: str | None, what: str) -> None:
        secret = value.get_secret_value() if value is not None else ""
        if not secret.strip():
            problems.append(f"{name} is not set ({what}).")
        elif prefix and not secret.startswith(prefix):
            problems.append(f"{name} does not look right: {what} starts with `{prefix}`.")

    check(
        "SLACK_BOT_TOKEN",
        settings.slack_bot_token,
        "xoxb-",
        "the Bot User OAuth Token from OAuth & Permissions",
    )
    if http:
        check(
            "SLACK_SIGNING_SECRET", settings.slack_signing_secret, None, "Basic Information → Signing Secret"
        )
    else:
        check(
            "SLACK_APP_TOKEN",
            settings.slack_app_token,
            "xapp-",
            "an app-level token with connections:write, from Basic Information",
        )
    return problems


def _oauth_problems(settings: Settings, http: bool) -> list[str]:
    problems: list[str] = []
    if not http:
        problems.append(
            "Installing into many workspaces (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, no "
            "SLACK_BOT_TOKEN) needs HTTP mode: run `tutorbot slack --http`."
        )
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if not secret.strip():
        problems.append("SLACK_SIGNING_SECRET is not set (Basic Information → Signing Secret).")
    key = settings.token_encryption_key.get_secret_value() if settings.token_encryption_key else ""
    if not key.strip():
        problems.append(
            "TOKEN_ENCRYPTION_KEY is not set: workspace tokens are stored encrypted. " + KEYGEN_HINT
        )
    else:
        try:
            TokenCipher(key)
        except TokenKeyError as error:
            problems.append(str(error))
    return problems


async def run_slack(
    http: bool,
    port: int,
    *,
    settings: Settings | None = None,
    err: TextIO = sys.stderr,
    stop: asyncio.Event | None = None,
    long_lived: bool = False,
) -> int:
    """Run until SIGINT/SIGTERM (or until `stop` is set), then finish the work already accepted.
    0 on a clean stop, 2 on bad settings. `long_lived`: this process serves until it exits (see
    `open_runtime`)."""
    settings = settings or Settings()
    problems = settings_problems(settings, http)
    if problems:
        mode = "HTTP mode" if http else "Socket Mode"
        err.write(f"Cannot start the Slack app in {mode}:\n")
        err.writelines(f"  - {problem}\n" for problem in problems)
        err.write("Set them in the environment or in .env (see the README's Slack section).\n")
        return 2
    log_to_stderr()
    if http and not settings.redis_url:
        log.warning("HTTP mode on the embedded Redis: fine for one process; set REDIS_URL to run several.")

    stop = stop or asyncio.Event()
    async with open_runtime(settings, long_lived=long_lived) as runtime:
        worker = Worker()
        adapter = build_slack_adapter(settings, runtime.engine, runtime.redis, worker=worker)
        deliver = dm_delivery(worker, lambda: adapter.outbox.at(Origin()))
        recovering = asyncio.create_task(
            keep_recovering(runtime.engine, deliver, interval_s=runtime.engine.config.renew_every_s)
        )
        try:
            jobs = timed_handlers(runtime, adapter.outbox, "slack", zone_of=adapter.zones)
            async with scheduler_in_background(runtime, jobs, recurring=RECURRING):
                with stop_on_signals(stop):
                    if http:
                        secret = (
                            settings.slack_signing_secret.get_secret_value()
                            if settings.slack_signing_secret
                            else ""
                        )
                        await _serve_http_until(adapter, port, stop, secret)
                    else:
                        assert settings.slack_app_token is not None
                        try:
                            await _socket_mode_until(
                                adapter, settings.slack_app_token.get_secret_value(), stop
                            )
                        except SlackApiError as error:
                            err.write(
                                f"Slack refused the Socket Mode connection: {error.response.get('error')}. "
                                "Check SLACK_APP_TOKEN (an app-level token with connections:write).\n"
                            )
                            return 1
        finally:
            recovering.cancel()
        # No new requests now; finish what was acknowledged before Redis closes.
        await finish_accepted_work(worker, "Slack")
    return 0


async def _serve_http_until(
    adapter: SlackAdapter, port: int, stop: asyncio.Event, signing_secret: str
) -> None:
    web_app = adapter.app.web_app(path=EVENTS_PATH, port=port)
    web_app.middlewares.append(refuse_unreadable(signing_secret, EVENTS_PATH))
    runner = await serve_http(web_app, port)
    log.info("Slack app listening on port %d at %s", port, EVENTS_PATH)
    if adapter.installations is not None:
        log.info("installing into workspaces at /slack/install (redirect URL /slack/oauth_redirect)")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _socket_mode_until(adapter: SlackAdapter, app_token: str, stop: asyncio.Event) -> None:
    handler = AsyncSocketModeHandler(adapter.app, app_token=app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves it unannotated
    log.info("Slack app connected in Socket Mode")
    try:
        await stop.wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves it unannotated


async def serve_http(web_app: web.Application, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    """Serve Bolt's aiohttp application (plus a health check) until the runner is cleaned up.
    Port 0 picks a free port; `runner.addresses` tells which."""
    web_app.router.add_get(HEALTH_PATH, _health)
    runner = web.AppRunner(web_app, access_log=None)  # access logs would carry nothing useful
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")
