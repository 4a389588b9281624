"""The fake Messages API speaks the real wire format (checked here with a plain HTTP client)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.fakes.anthropic_server import FakeAnthropic, MidStreamError, Reply, rate_limited

BODY: dict[str, Any] = {
    "model": "claude-haiku-5-5",
    "max_tokens": 50,
    "stream": True,
    "messages": [{"role": "user", "content": "hi"}],
}


def _events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_stream_events_come_in_api_order_with_event_lines(anthropic_server: FakeAnthropic) -> None:
    anthropic_server.script(Reply(chunks=("Hel", "lo")))
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{anthropic_server.url}/v1/messages", json=BODY, headers={"x-api-key": "k"}) as response,
    ):
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(await response.text())

    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(name == data["type"] for name, data in events)
    assert [data["delta"]["text"] for name, data in events if name == "content_block_delta"] == ["Hel", "lo"]
    delta = events[6][1]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert {"output_tokens", "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"} <= set(
        delta["usage"]
    )


async def test_errors_are_json_with_retry_after(anthropic_server: FakeAnthropic) -> None:
    anthropic_server.script(rate_limited(retry_after=7))
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{anthropic_server.url}/v1/messages", json=BODY, headers={"authorization": "Bearer k"}
        ) as response,
    ):
        assert response.status == 429
        assert response.headers["retry-after"] == "7"
        assert await response.json() == {
            "type": "error",
            "error": {"type": "rate_limit_error", "message": "Rate limited"},
        }


async def test_mid_stream_error_is_an_error_event(anthropic_server: FakeAnthropic) -> None:
    anthropic_server.script(MidStreamError())
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{anthropic_server.url}/v1/messages", json=BODY, headers={"x-api-key": "k"}) as response,
    ):
        events = _events(await response.text())
    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )


async def test_requests_without_a_key_are_refused_and_recorded(anthropic_server: FakeAnthropic) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{anthropic_server.url}/v1/messages", json=BODY) as response,
    ):
        assert response.status == 401
        assert (await response.json())["error"]["type"] == "authentication_error"
    assert len(anthropic_server.requests) == 1
    assert anthropic_server.requests[0].body == BODY


async def test_non_streaming_requests_get_a_message(anthropic_server: FakeAnthropic) -> None:
    anthropic_server.script(Reply("plain answer"))
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{anthropic_server.url}/v1/messages", json={**BODY, "stream": False}, headers={"x-api-key": "k"}
        ) as response,
    ):
        message = await response.json()
    assert message["content"] == [{"type": "text", "text": "plain answer"}]
    assert message["stop_reason"] == "end_turn"
