"""A local fake of the Slack Web API, for tests that exercise the real slack-sdk client.

It listens on 127.0.0.1 on a random port, speaks Slack's wire format (`POST /api/<method>`
with a form or JSON body, answering `{"ok": true, ...}`), records every call, keeps the
messages it was sent (so a test can look at a DM as the learner would see it after edits),
and can be told to answer the next call of a method with a 429 + `Retry-After` or a Slack
error. `response_url` posts (slash commands, buttons) are accepted at `/response/<id>`.

    async with FakeSlackApi() as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_USER_ID = "UTUTORBOT"
BOT_ID = "BTUTORBOT"
DEFAULT_TEAM = "T0000TEST"


@dataclass
class Call:
    """One request the fake received: the API method (or `response_url`) and its decoded body."""

    method: str
    body: dict[str, Any]
    authorized: bool = True
    at: float = field(default_factory=time.monotonic)


@dataclass
class StoredMessage:
    """A message as it stands now in a channel (edits applied, deletions flagged)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    edits: int = 0
    deleted: bool = False


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    times: int


@dataclass
class FakeSlackApi:
    token: str = "xoxb-test-token"
    team_id: str = DEFAULT_TEAM
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], StoredMessage] = field(default_factory=dict)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/response/{hook}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound socket only through the server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._changed = asyncio.Event()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlackApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """What to pass as `AsyncWebClient(base_url=...)` (or `SLACK_API_URL`)."""
        return f"{self.base_url}/api/"

    def response_url(self, hook: str) -> str:
        """A `response_url` that lands in this fake (recorded as method `response_url`)."""
        return f"{self.base_url}/response/{hook}"

    # ---- test controls ---------------------------------------------------------------------

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and `Retry-After`."""
        self._failures.setdefault(method, []).append(_Failure(429, "ratelimited", retry_after, times))

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._failures.setdefault(method, []).append(_Failure(200, error, None, times))

    def reset(self) -> None:
        self.calls.clear()
        self.messages.clear()
        self._failures.clear()

    def of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def channel_messages(self, channel: str) -> list[StoredMessage]:
        """Messages in `channel` in posting order, as they stand now (not deleted)."""
        found = [m for (ch, _), m in self.messages.items() if ch == channel and not m.deleted]
        return sorted(found, key=lambda m: float(m.ts))

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checking after every call the fake receives."""
        assert self._changed is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError("timed out waiting for Slack API calls")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # ---- handlers --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await _decode_body(request)
        authorized = (
            request.headers.get("Authorization") == f"Bearer {self.token}" or body.get("token") == self.token
        )
        body.pop("token", None)  # never keep a token in the record
        self.calls.append(Call(method, body, authorized))
        self._notify()

        failure = self._take_failure(method)
        if failure is not None:
            if failure.status == 429:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(1 if failure.retry_after is None else failure.retry_after)},
                )
            return web.json_response({"ok": False, "error": failure.error})
        if not authorized:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(self._answer(method, body))

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await _decode_body(request)
        body["hook"] = request.match_info["hook"]
        self.calls.append(Call("response_url", body))
        self._notify()
        return web.Response(text="ok")

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://tutorbot-test.slack.com/",
                "team": "Test",
                "user": "tutorbot",
                "team_id": self.team_id,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "conversations.open":
            user = str(body.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": f"D{user}"[:20]}}
        if method == "chat.postMessage":
            channel = str(body.get("channel", ""))
            ts = self._next_ts()
            self.messages[(channel, ts)] = StoredMessage(
                channel, ts, str(body.get("text", "")), body.get("blocks") or []
            )
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": body.get("text", ""), "ts": ts},
            }
        if method == "chat.update":
            key = (str(body.get("channel", "")), str(body.get("ts", "")))
            stored = self.messages.get(key)
            if stored is None or stored.deleted:
                return {"ok": False, "error": "message_not_found"}
            stored.text = str(body.get("text", stored.text))
            stored.blocks = body.get("blocks") or []
            stored.edits += 1
            return {"ok": True, "channel": key[0], "ts": key[1], "text": stored.text}
        if method == "chat.delete":
            stored = self.messages.get((str(body.get("channel", "")), str(body.get("ts", ""))))
            if stored is None or stored.deleted:
                return {"ok": False, "error": "message_not_found"}
            stored.deleted = True
            return {"ok": True, "channel": stored.channel, "ts": stored.ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "VHOME", "type": "home", **(body.get("view") or {})}}
        if method == "users.info":
            return {"ok": True, "user": {"id": body.get("user"), "is_admin": False, "is_owner": False}}
        return {"ok": True}

    # ---- helpers ---------------------------------------------------------------------------

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()


async def _decode_body(request: web.Request) -> dict[str, Any]:
    """Slack accepts form bodies and JSON bodies; the SDK sends both. Decode either, and turn
    JSON-encoded form fields (`blocks`, `view`) back into structures."""
    raw = await request.text()
    if request.content_type == "application/json":
        body: dict[str, Any] = json.loads(raw) if raw else {}
    else:
        body = dict(parse_qsl(raw, keep_blank_values=True))
        for name, value in list(body.items()):
            if name in {"blocks", "view", "attachments", "metadata"} and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    body[name] = json.loads(value)
    for name, value in request.query.items():
        body.setdefault(name, value)
    return body
