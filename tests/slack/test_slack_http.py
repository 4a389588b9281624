"""The app over real HTTP (the `--http` runner end to end), and the Socket Mode dispatch path."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
import yaml
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.adapters.slack.app import BOT_SCOPES
from bot.adapters.slack.runner import run_slack, settings_problems
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackHarness, command_body, event_body, sign

REPO = Path(__file__).resolve().parents[2]
FORM = "application/x-www-form-urlencoded"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_http_mode_serves_signed_requests_and_refuses_others(
    slack_api: FakeSlackApi, redis_url: str, redis: aioredis.Redis, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        data_dir=tmp_path,
        key_prefix="test",
        anthropic_api_key=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.api_url,
    )
    port, stop = free_port(), asyncio.Event()
    server = asyncio.create_task(run_slack(http=True, port=port, settings=settings, stop=stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # wait for the server to listen
                try:
                    async with http.get(f"{base}/healthz") as health:
                        assert await health.text() == "ok"
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            body = command_body("T1", "UHTTP", "start", response_url=slack_api.response_url("http"))

            async with http.post(
                f"{base}/slack/events", data=body, headers={**sign(body), "content-type": FORM}
            ) as accepted:
                assert accepted.status == 200
            await slack_api.wait_for(lambda: len(slack_api.channel_messages("DUHTTP")) == 2)

            forged = {**sign(body, secret="wrong"), "content-type": FORM}
            async with http.post(
                f"{base}/slack/events", data=body.replace("UHTTP", "UOTHER"), headers=forged
            ) as refused:
                assert refused.status == 401

            # Slack's URL check when the Events request URL is saved.
            check = '{"type": "url_verification", "token": "t", "challenge": "c-123"}'
            async with http.post(
                f"{base}/slack/events",
                data=check,
                headers={**sign(check), "content-type": "application/json"},
            ) as verify:
                assert verify.status == 200 and "c-123" in await verify.text()
    finally:
        stop.set()
        assert await asyncio.wait_for(server, 10) == 0
    assert await redis.exists("test:{slack:T1:UHTTP}:state")
    assert not await redis.exists("test:{slack:T1:UOTHER}:state")
    assert [c.body["text"] for c in slack_api.of("response_url")] == ["I've sent the course to your DMs."]


async def test_malformed_requests_are_refused_without_a_traceback(
    slack_api: FakeSlackApi, redis_url: str, redis: aioredis.Redis, tmp_path: Path, caplog
) -> None:
    import logging

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        data_dir=tmp_path,
        key_prefix="test",
        anthropic_api_key=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.api_url,
    )
    port, stop = free_port(), asyncio.Event()
    server = asyncio.create_task(run_slack(http=True, port=port, settings=settings, stop=stop))
    url = f"http://127.0.0.1:{port}/slack/events"
    unsigned = [
        ("application/json", b"{not json"),
        ("application/json", b'"a string"'),
        ("application/json", b"\xff\xfe\x00"),
        (FORM, b"payload=%7Bnot"),
        (FORM, b"\xff=\x00"),
    ]
    statuses: list[int] = []
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            with caplog.at_level(logging.INFO):
                for content_type, body in unsigned:
                    async with http.post(url, data=body, headers={"content-type": content_type}) as r:
                        statuses.append(r.status)
                bad_time = {"content-type": "application/json", "x-slack-request-timestamp": "soon"}
                async with http.post(url, data=b"{}", headers={**bad_time, "x-slack-signature": "v0=0"}) as r:
                    statuses.append(r.status)
                signed = '{"type": "event_callback", "event": "not an object"'
                async with http.post(
                    url, data=signed, headers={**sign(signed), "content-type": "application/json"}
                ) as r:
                    statuses.append(r.status)
    finally:
        stop.set()
        assert await asyncio.wait_for(server, 10) == 0
    assert statuses == [401] * 6 + [400]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert sum(r.levelno >= logging.WARNING for r in caplog.records) <= 7


async def test_socket_mode_requests_need_no_signature_and_retries_are_dropped(slack: SlackHarness) -> None:
    # What AsyncSocketModeHandler does with each envelope from the websocket.
    form = dict(pair.split("=", 1) for pair in command_body("T1", "USOCK", "start").split("&"))
    form = {k: v.replace("%2F", "/") for k, v in form.items()}
    response = await run_async_bolt_app(
        slack.app, SocketModeRequest(type="slash_commands", envelope_id="e1", payload=form)
    )
    assert response.status == 200
    await slack.settle()
    assert len(slack.dm_messages("USOCK")) == 2

    event = {
        "type": "message",
        "channel": "DUSOCK",
        "channel_type": "im",
        "user": "USOCK",
        "text": "resume",
        "ts": "1.0",
    }
    envelope = json.loads(event_body("T1", event, "EvSOCKET1"))
    for attempt in (None, 1):
        request = SocketModeRequest(
            type="events_api", envelope_id=f"e{attempt}", payload=envelope, retry_attempt=attempt
        )
        assert (await run_async_bolt_app(slack.app, request)).status == 200
    await slack.settle()
    assert len(slack.dm_messages("USOCK")) == 3


@pytest.mark.parametrize("http", [False, True])
async def test_missing_settings_are_named_and_secrets_never_printed(http: bool) -> None:
    err = io.StringIO()
    wrong = "xoxp-user-token-SECRET-VALUE"
    settings = Settings(
        _env_file=None, slack_bot_token=wrong, slack_app_token=None, slack_signing_secret=None
    )  # type: ignore[call-arg]
    assert await run_slack(http=http, port=0, settings=settings, err=err) == 2
    out = err.getvalue()
    assert "SLACK_BOT_TOKEN does not look right" in out and "xoxb-" in out
    assert ("SLACK_SIGNING_SECRET is not set" in out) is http
    assert ("SLACK_APP_TOKEN is not set" in out) is not http
    assert "SECRET-VALUE" not in out


def test_complete_settings_have_no_problems() -> None:
    settings = Settings(
        _env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1", slack_signing_secret="s"
    )  # type: ignore[call-arg]
    assert settings_problems(settings, http=False) == [] and settings_problems(settings, http=True) == []


def test_manifest_matches_the_app() -> None:
    manifest = yaml.safe_load((REPO / "slack-app-manifest.yaml").read_text())
    features, settings = manifest["features"], manifest["settings"]
    commands = {c["command"]: c for c in features["slash_commands"]}
    assert list(commands) == ["/tutor", "/cohort"]
    # /cohort reads users and channels as Slack escapes them (<@U…>, <#C…|name>).
    assert commands["/cohort"]["should_escape"] is True and commands["/tutor"]["should_escape"] is False
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "chat:write",
        "im:write",
        "im:history",
        "commands",
    }
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    # The OAuth install asks for exactly the manifest's scopes.
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
