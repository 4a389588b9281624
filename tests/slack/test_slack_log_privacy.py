"""Nothing private in the logs: no request body, message text, response_url or token in any log
line at any level, whatever slack-bolt and slack-sdk log themselves."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import log_to_stream, redact
from tests.slack.harness import BOT_TOKEN, SlackHarness, event_body, sign

DM_TEXT = "my manager is awful and I want to quit"
HOOK = "https://hooks.slack.com/commands/T1/123/SECRET-hook"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The bot's own log setup, at DEBUG, writing into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    log_to_stream(out, logging.DEBUG)
    try:
        yield out
    finally:
        root.handlers[:], root.level = saved[0], saved[1]


async def test_a_badly_signed_dm_leaves_its_text_in_no_log_line(
    slack: SlackHarness, log_output: io.StringIO
) -> None:
    event = {"type": "message", "channel": "DUALICE", "channel_type": "im", "user": "UALICE", "text": DM_TEXT}
    body = event_body("T1", event)
    headers = {"content-type": "application/json", **sign(body, secret="not-the-secret")}
    from slack_bolt.request.async_request import AsyncBoltRequest

    response = await slack.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 401
    logged = log_output.getvalue()
    assert "Invalid request signature" in logged  # Bolt did log the failure...
    assert DM_TEXT not in logged and "awful" not in logged  # ...without the body


async def test_a_served_conversation_at_debug_logs_no_text_token_or_hook(
    slack: SlackHarness, log_output: io.StringIO
) -> None:
    await slack.command("UALICE", "start")
    await slack.dm("UALICE", DM_TEXT)
    slack.api.rate_limit_next("chat.postMessage")
    await slack.command("UALICE", "resume")
    logged = log_output.getvalue()
    assert "chat.postMessage" in logged  # slack-sdk's debug lines were there...
    assert DM_TEXT not in logged and "awful" not in logged  # ...but not what was said
    assert BOT_TOKEN not in logged
    assert "/response/" not in logged  # the fake's response_url
    assert "Lesson 1" not in logged  # nor what the bot said


def test_redaction_of_library_lines() -> None:
    line = f"Sending a request - url: {HOOK}, body: {{'text': 'hi'}}, headers: {{}}"
    assert HOOK not in redact(line, library=True) and "hi" not in redact(line, library=True)
    retry = f"A retry handler found: RateLimitErrorRetryHandler for POST {HOOK}"
    assert "SECRET-hook" not in redact(retry, library=True)
    api = "A retry handler found: RateLimitErrorRetryHandler for POST https://slack.com/api/chat.update"
    assert redact(api, library=True) == api  # which call was retried is worth keeping
    code = "Failed to fetch oauth.v2.access result with code: 1234.5678.abcd - error: invalid_code"
    assert "1234.5678" not in redact(code, library=True)
    assert "xoxb-12-34" not in redact("our own line with xoxb-12-34 in it", library=False)
