"""A local stand-in for Anthropic's Messages API, speaking its real wire format.

Point `AsyncAnthropic(base_url=server.url, api_key=...)` at it. Each POST /v1/messages takes
the next behaviour from a script (`server.script(...)`); when the script is empty it answers
with `server.default`. Every request is recorded (`server.requests`) with its raw body, parsed
JSON and headers, so tests can check exactly what the client sent.

Streaming replies are `text/event-stream` with an `event:` and a `data:` line per event, in the
order the API uses: message_start, ping, content_block_start, content_block_delta…,
content_block_stop, message_delta (stop_reason and cumulative usage), message_stop.

Prompt caching is simulated: the system blocks up to the last one marked `cache_control` form
the cached prefix; the first request with a given prefix reports it as
`cache_creation_input_tokens`, later identical ones as `cache_read_input_tokens`. Prefixes
estimated under 512 tokens are not cached, like the real API.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from aiohttp import web

CACHE_MIN_TOKENS = 512


def estimate_tokens(text: str) -> int:
    """About four characters a token: close enough for tests of counting and caching."""
    return max(1, len(text) // 4) if text else 0


# Behaviours ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A successful reply, streamed in `chunks` (or split into words when `chunks` is empty)."""

    text: str = "Hello from the fake advisor."
    chunks: tuple[str, ...] = ()
    stop_reason: str = "end_turn"
    thinking: str | None = None
    """When set, a thinking block comes first, as the 5.5 models may send."""
    chunk_delay: float = 0.0
    input_tokens: int | None = None
    """Overrides the simulated uncached input token count."""
    output_tokens: int | None = None

    def pieces(self) -> list[str]:
        if self.chunks:
            return list(self.chunks)
        words = self.text.split(" ")
        return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


@dataclass(frozen=True)
class ErrorReply:
    """A JSON error response: `{"type": "error", "error": {"type": ..., "message": ...}}`."""

    status: int
    error_type: str
    message: str
    retry_after: str | None = None
    retry_after_ms: str | None = None
    error_code: str | None = None
    """Sent as `error.details.error_code`, which the SDK maps to a specific error class."""
    headers: tuple[tuple[str, str], ...] = ()


def rate_limited(retry_after: float | str | None = 1, message: str = "Rate limited") -> ErrorReply:
    value = None if retry_after is None else str(retry_after)
    return ErrorReply(429, "rate_limit_error", message, retry_after=value)


def overloaded(retry_after: float | str | None = None) -> ErrorReply:
    value = None if retry_after is None else str(retry_after)
    return ErrorReply(529, "overloaded_error", "Overloaded", retry_after=value)


def server_error(status: int = 500) -> ErrorReply:
    return ErrorReply(status, "api_error", "Internal server error")


def spend_limit() -> ErrorReply:
    """The 429 the API sends when the account's spend limit is reached: retrying cannot help."""
    return ErrorReply(
        429,
        "rate_limit_error",
        "This request would exceed your account's monthly spend limit. Please try again later.",
        retry_after="3600",
        error_code="enforced_spend_limit_reached",
    )


@dataclass(frozen=True)
class Hang:
    """Accept the request and send nothing for `seconds` (a client timeout fires first)."""

    seconds: float = 30.0


@dataclass(frozen=True)
class StallMidStream:
    """Start streaming `text_before`, then go silent for `seconds`."""

    text_before: str = "Let me think about"
    seconds: float = 30.0


@dataclass(frozen=True)
class MidStreamError:
    """Start streaming `text_before`, then send an `error` event and end the stream."""

    text_before: str = "Partial answer"
    error_type: str = "overloaded_error"
    message: str = "Overloaded"


@dataclass(frozen=True)
class CutMidStream:
    """Start streaming `text_before`, then end the body cleanly without `message_stop`, as a
    proxy cutting an idle or long stream does."""

    text_before: str = "The first half of an answer"


Behaviour = Reply | ErrorReply | Hang | StallMidStream | MidStreamError | CutMidStream


# Recording ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]

    @property
    def api_key(self) -> str | None:
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None

    def cached_prefix(self) -> list[dict[str, Any]]:
        """The system blocks up to and including the last one marked `cache_control`."""
        return _cached_prefix(self.body)

    def text(self) -> str:
        """Every string the request carried, concatenated: for "never sent" assertions."""
        return self.raw.decode("utf-8", errors="replace") + "\n" + "\n".join(_strings(self.body))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _cached_prefix(body: dict[str, Any]) -> list[dict[str, Any]]:
    system = body.get("system")
    if not isinstance(system, list):
        return []
    marked = [i for i, block in enumerate(system) if isinstance(block, dict) and block.get("cache_control")]
    return system[: marked[-1] + 1] if marked else []


# Server -------------------------------------------------------------------------------------


@dataclass
class FakeAnthropic:
    """The fake server. `await start()`, use `url`, `await stop()` (or `async with`)."""

    default: Behaviour = field(default_factory=Reply)
    api_key: str | None = None
    """When set, requests with another key get a 401 authentication_error."""
    requests: list[RecordedRequest] = field(default_factory=list)
    _queue: deque[Behaviour] = field(default_factory=deque)
    _cache: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, in order."""
        self._queue.extend(behaviours)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def reset(self) -> None:
        self._queue.clear()
        self.requests.clear()
        self._cache.clear()

    async def start(self) -> FakeAnthropic:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        sockets = site._server.sockets if site._server else ()  # type: ignore[union-attr]
        port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeAnthropic:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # Handler ---------------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.requests.append(RecordedRequest(request.path, headers, raw, body))

        recorded = self.requests[-1]
        if not recorded.api_key or (self.api_key is not None and recorded.api_key != self.api_key):
            return self._error(ErrorReply(401, "authentication_error", "invalid x-api-key"))
        if not isinstance(body, dict) or "messages" not in body or "max_tokens" not in body:
            return self._error(
                ErrorReply(400, "invalid_request_error", "messages and max_tokens are required")
            )

        behaviour = self._queue.popleft() if self._queue else self.default
        if isinstance(behaviour, ErrorReply):
            return self._error(behaviour)
        if isinstance(behaviour, Hang):
            await asyncio.sleep(behaviour.seconds)
            return self._error(ErrorReply(504, "timeout_error", "fake hang ended"))
        if not body.get("stream"):
            return self._json_message(body, behaviour)
        return await self._stream(request, body, behaviour)

    def _error(self, reply: ErrorReply) -> web.Response:
        error: dict[str, Any] = {"type": reply.error_type, "message": reply.message}
        if reply.error_code:
            error["details"] = {"error_code": reply.error_code}
        headers = {"request-id": f"req_fake_{next(self._ids)}", **dict(reply.headers)}
        if reply.retry_after is not None:
            headers["retry-after"] = reply.retry_after
        if reply.retry_after_ms is not None:
            headers["retry-after-ms"] = reply.retry_after_ms
        return web.json_response({"type": "error", "error": error}, status=reply.status, headers=headers)

    def _usage(self, body: dict[str, Any], reply: Reply | None) -> dict[str, int]:
        prefix = _cached_prefix(body)
        prefix_text = json.dumps(prefix, sort_keys=True, ensure_ascii=False)
        prefix_tokens = estimate_tokens("".join(b.get("text", "") for b in prefix))
        rest = json.dumps([body.get("system", [])[len(prefix) :], body.get("messages")], ensure_ascii=False)
        cache_read = cache_write = 0
        input_tokens = estimate_tokens(rest)
        if prefix and prefix_tokens >= CACHE_MIN_TOKENS:
            if prefix_text in self._cache:
                cache_read = prefix_tokens
            else:
                self._cache.add(prefix_text)
                cache_write = prefix_tokens
        elif prefix:
            input_tokens += prefix_tokens
        if reply is not None and reply.input_tokens is not None:
            input_tokens = reply.input_tokens
        return {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
        }

    def _message_id(self) -> str:
        return f"msg_fake_{next(self._ids)}"

    def _json_message(self, body: dict[str, Any], behaviour: Behaviour) -> web.Response:
        reply = behaviour if isinstance(behaviour, Reply) else Reply()
        usage = self._usage(body, reply)
        content: list[dict[str, Any]] = []
        if reply.thinking:
            content.append({"type": "thinking", "thinking": reply.thinking, "signature": "sig"})
        content.append({"type": "text", "text": reply.text})
        output = reply.output_tokens if reply.output_tokens is not None else len(reply.text.split())
        message = {
            "id": self._message_id(),
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-haiku-5-5"),
            "content": content,
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": output},
        }
        return web.json_response(message)

    async def _stream(
        self, request: web.Request, body: dict[str, Any], behaviour: Behaviour
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200,
            headers={
                "content-type": "text/event-stream",
                "cache-control": "no-cache",
                "request-id": f"req_fake_{next(self._ids)}",
            },
        )
        await response.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

        reply = behaviour if isinstance(behaviour, Reply) else None
        usage = self._usage(body, reply)
        await send(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": self._message_id(),
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", "claude-haiku-5-5"),
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {**usage, "output_tokens": 1},
                },
            },
        )
        await send("ping", {"type": "ping"})

        index = 0
        if reply is not None and reply.thinking:
            await send(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                },
            )
            await send(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": reply.thinking},
                },
            )
            await send(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": "sig"},
                },
            )
            await send("content_block_stop", {"type": "content_block_stop", "index": 0})
            index = 1

        await send(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
        )

        async def text(piece: str) -> None:
            await send(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )

        if isinstance(behaviour, MidStreamError):
            await text(behaviour.text_before)
            await send(
                "error",
                {"type": "error", "error": {"type": behaviour.error_type, "message": behaviour.message}},
            )
            await response.write_eof()
            return response
        if isinstance(behaviour, CutMidStream):
            await text(behaviour.text_before)
            await response.write_eof()
            return response
        if isinstance(behaviour, StallMidStream):
            await text(behaviour.text_before)
            await asyncio.sleep(behaviour.seconds)
            await response.write_eof()
            return response

        assert reply is not None
        for piece in reply.pieces():
            if reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            await text(piece)
        await send("content_block_stop", {"type": "content_block_stop", "index": index})
        output = reply.output_tokens if reply.output_tokens is not None else len(reply.text.split())
        await send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                "usage": {**usage, "output_tokens": output},
            },
        )
        await send("message_stop", {"type": "message_stop"})
        await response.write_eof()
        return response
