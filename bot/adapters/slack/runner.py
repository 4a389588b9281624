"""`tutorbot slack`: run the Slack app in Socket Mode (default) or over HTTP (`--http`).

Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN and no public URL: right for one
process. HTTP mode serves the Events API, slash commands and interactivity at
`/slack/events` (verified with SLACK_SIGNING_SECRET) and `GET /healthz`, and scales to
several processes behind a load balancer when they share one Redis (`REDIS_URL`).

On SIGINT/SIGTERM the runner stops taking new requests, then waits for the engine work
already accepted (up to `DRAIN_TIMEOUT_S`) before closing Redis.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TextIO

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.adapters.slack.app import build_slack_adapter
from bot.adapters.slack.work import Worker
from bot.runtime import open_runtime
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DRAIN_TIMEOUT_S = 30.0


def settings_problems(settings: Settings, http: bool) -> list[str]:
    """What is missing or malformed for the chosen mode. Names settings, never their values."""
    problems: list[str] = []

    def check(name: str, value: object, prefix: str | None, what: str) -> None:
        secret = value.get_secret_value() if value is not None else ""  # type: ignore[attr-defined]
        if not secret.strip():
            problems.append(f"{name} is not set ({what}).")
        elif prefix and not secret.startswith(prefix):
            problems.append(f"{name} does not look right: {what} starts with `{prefix}`.")

    check("SLACK_BOT_TOKEN", settings.slack_bot_token, "xoxb-", "the Bot User OAuth Token from OAuth & Permissions")
    if http:
        check("SLACK_SIGNING_SECRET", settings.slack_signing_secret, None, "Basic Information → Signing Secret")
    else:
        check("SLACK_APP_TOKEN", settings.slack_app_token, "xapp-", "an app-level token with connections:write, from Basic Information")
    return problems


async def run_slack(http: bool, port: int, *, settings: Settings | None = None, err: TextIO = sys.stderr) -> int:
    settings = settings or Settings()
    problems = settings_problems(settings, http)
    if problems:
        mode = "HTTP mode" if http else "Socket Mode"
        err.write(f"Cannot start the Slack app in {mode}:\n")
        err.writelines(f"  - {problem}\n" for problem in problems)
        err.write("Set them in the environment or in .env (see the README's Slack section).\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if http and not settings.redis_url:
        log.warning("HTTP mode on the embedded Redis: fine for one process; set REDIS_URL to run several.")

    async with open_runtime(settings) as runtime:
        worker = Worker()
        adapter = build_slack_adapter(settings, runtime.engine, runtime.redis, worker=worker)
        stop = _stop_on_signals()
        if http:
            runner = await serve_http(adapter.app.web_app(path=EVENTS_PATH, port=port), port)
            log.info("Slack app listening on port %d at %s", port, EVENTS_PATH)
            try:
                await stop.wait()
            finally:
                await runner.cleanup()
        else:
            assert settings.slack_app_token is not None
            handler = AsyncSocketModeHandler(adapter.app, app_token=settings.slack_app_token.get_secret_value())
            await handler.connect_async()
            log.info("Slack app connected in Socket Mode")
            try:
                await stop.wait()
            finally:
                await handler.close_async()
        if not await worker.drain(DRAIN_TIMEOUT_S):
            log.warning("stopped with %d Slack events still being handled", worker.pending)
    return 0


async def serve_http(web_app: web.Application, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    """Serve Bolt's aiohttp application (plus a health check) until the runner is cleaned up."""
    web_app.router.add_get(HEALTH_PATH, _health)
    runner = web.AppRunner(web_app, access_log=None)  # access logs would carry nothing useful
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass  # not on this platform; Ctrl-C still ends the process
    return stop
