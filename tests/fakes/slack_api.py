"""A local fake of the Slack Web API, for tests that exercise the real slack-sdk client.

It listens on 127.0.0.1 on a random port, speaks Slack's wire format (`POST /api/<method>`
with a form or JSON body, answering `{"ok": true, ...}`), records every call, keeps the
messages it was sent (so a test can look at a DM as the learner would see it after edits),
and can be told to answer the next call of a method with a 429 + `Retry-After` or a Slack
error. `response_url` posts (slash commands, buttons) are accepted at `/response/<id>`.

Several workspaces: every bot token belongs to one installation (`Install`): the constructor's
`token` to `team_id`, more through `install(...)`. `oauth.v2.access` answers as Slack does, for
an authorization `code` made with `authorization_code(...)` (the OAuth install) and for
`grant_type=refresh_token` (token rotation: a new access token and refresh token, the old ones
revoked). `revoke(token)` makes a token fail with `invalid_auth` / `token_revoked`.

People and channels: `users` (user id → the `user` object `users.info` answers: `is_admin`,
`is_owner`, `team_id`, `profile`…) and `channel_members` (channel id → member ids, served by
`conversations.members` a page at a time, `limit` and `next_cursor` as Slack does; and by
`conversations.info`, whose `is_member` says whether the bot's user is among them).

Files (`files_upload_v2`): `files.getUploadURLExternal` (filename, length) answers an
`upload_url` on this fake and a `file_id`; the bytes are POSTed there; `files.completeUploadExternal`
(`files` JSON of id and title, `channel_id`, `initial_comment`) shares them, and refuses ids
never issued or not uploaded, or uploads whose length differs from the one announced.
`uploads` holds every shared file.

Message metadata: `chat.postMessage` keeps a message's `metadata` (`event_type`, `event_payload`;
another shape answers `invalid_metadata_format`), and `conversations.history` (newest first,
`limit`) shows it only with `include_all_metadata`, as Slack does.

Rate limits: with `enforce_tiers=True` every method is limited per workspace as Slack's tiers
say (`TIER_LIMITS`), and `chat.postMessage` per channel, each answered over the limit with a
real HTTP 429 and `Retry-After`; `rate_limited` counts them.

    async with FakeSlackApi() as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_USER_ID = "UTUTORBOT"
BOT_ID = "BTUTORBOT"
DEFAULT_TEAM = "T0000TEST"


TIER_LIMITS: dict[str, tuple[int, float]] = {
    # method: (calls, per seconds) for one workspace, as Slack's published tiers
    "chat.update": (50, 60.0),  # Tier 3
    "chat.delete": (50, 60.0),  # Tier 3
    "conversations.open": (50, 60.0),  # Tier 3
    "conversations.history": (50, 60.0),  # Tier 3
    "chat.postEphemeral": (100, 60.0),  # Tier 4
    "views.publish": (100, 60.0),  # Tier 4
    "users.info": (100, 60.0),  # Tier 4
}
POST_PER_CHANNEL = (1.0, 3)
"""chat.postMessage: about one a second per channel, with a short burst (rate per s, burst)."""


@dataclass
class Install:
    """One installation of the app: a workspace, or (org-wide) a Grid organisation."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False
    bot_user_id: str = BOT_USER_ID
    team_name: str = "Test"

    @property
    def tenant(self) -> str:
        tenant = self.enterprise_id if self.is_enterprise_install else self.team_id
        assert tenant is not None
        return tenant


@dataclass
class Call:
    """One request the fake received: the API method (or `response_url`) and its decoded body."""

    method: str
    body: dict[str, Any]
    authorized: bool = True
    at: float = field(default_factory=time.monotonic)
    tenant: str | None = None
    """The installation whose token authorised the call (None: no valid token)."""
    rate_limited: bool = False
    ok: bool = False
    """Answered with success (set once answered)."""


@dataclass
class StoredMessage:
    """A message as it stands now in a channel (edits applied, deletions flagged)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    edits: int = 0
    deleted: bool = False
    metadata: dict[str, Any] | None = None
    """The message's `metadata` (`event_type`, `event_payload`), as posted."""


@dataclass
class UploadedFile:
    """A file shared by `files.completeUploadExternal`."""

    file_id: str
    channel: str
    filename: str
    title: str
    content: bytes
    initial_comment: str = ""


@dataclass
class _Upload:
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    times: int


@dataclass
class _Bucket:
    """A token bucket: `rate` per second, holding at most `burst`."""

    rate: float
    burst: float
    level: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> float:
        """0 if a call may go now (and count it), else the seconds until one may."""
        if self.level < 0:
            self.level, self.stamp = self.burst, now
        self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level >= 1:
            self.level -= 1
            return 0.0
        return (1 - self.level) / self.rate


@dataclass
class FakeSlackApi:
    token: str = "xoxb-test-token"
    team_id: str = DEFAULT_TEAM
    client_id: str = "1111.2222"
    client_secret: str = "fake-client-secret"
    enforce_tiers: bool = False
    tiers: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(TIER_LIMITS))
    post_per_channel: tuple[float, int] = POST_PER_CHANNEL
    expires_in: int | None = None
    """Seconds a token issued by oauth.v2.access lasts; set to turn token rotation on."""
    calls: list[Call] = field(default_factory=list)
    installs: dict[str, Install] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    rate_limited: int = 0
    listeners: list[Callable[[Call], None]] = field(default_factory=list)
    """Called with every call the fake answers (a load run watches replies arrive this way)."""
    _codes: dict[str, Install] = field(default_factory=dict)
    _refresh: dict[str, tuple[str, Install]] = field(default_factory=dict)
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)
    _hooks: dict[str, tuple[str, str]] = field(default_factory=dict)
    messages: dict[tuple[str, str], StoredMessage] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channel_members: dict[str, list[str]] = field(default_factory=dict)
    uploads: list[UploadedFile] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    """Modals opened with `views.open`, each with the `id` the fake gave it."""
    _pending_uploads: dict[str, _Upload] = field(default_factory=dict)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeSlackApi:
        self.installs.setdefault(self.token, Install(self.team_id))
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack-sdk reads some (users.info…) with GET
        app.router.add_post("/response/{hook}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
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

    def response_url(self, hook: str, channel: str | None = None, ts: str | None = None) -> str:
        """A `response_url` that lands in this fake (recorded as method `response_url`). Given the
        message it belongs to (a click's), `replace_original: true` replaces that message."""
        if channel is not None and ts is not None:
            self._hooks[hook] = (channel, ts)
        return f"{self.base_url}/response/{hook}"

    # ---- test controls ---------------------------------------------------------------------

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and `Retry-After`."""
        self._failures.setdefault(method, []).append(_Failure(429, "ratelimited", retry_after, times))

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._failures.setdefault(method, []).append(_Failure(200, error, None, times))

    def install(self, install: Install, token: str | None = None) -> str:
        """Register a bot token for `install` (as if installed by hand); returns the token."""
        token = token or f"xoxb-{install.tenant}-{secrets.token_hex(6)}"
        self.installs[token] = install
        return token

    def authorization_code(self, install: Install) -> str:
        """A one-time code, as Slack puts on the redirect URL after a user approves the install."""
        code = f"code-{secrets.token_hex(8)}"
        self._codes[code] = install
        return code

    def revoke(self, token: str) -> None:
        self.revoked.add(token)

    def tokens_of(self, tenant: str) -> list[str]:
        """The live bot tokens of an installation."""
        return [t for t, i in self.installs.items() if i.tenant == tenant and t not in self.revoked]

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
        call, response = await self._handle(request)
        return self._answered(call, response)

    async def _handle(self, request: web.Request) -> tuple[Call, web.Response]:
        method = request.match_info["method"]
        body = await _decode_body(request)
        token = _bearer(request.headers.get("Authorization")) or str(body.pop("token", "") or "")
        body.pop("token", None)  # never keep a token in the record
        install = self.installs.get(token) if token not in self.revoked else None
        call = Call(method, body, install is not None, tenant=install.tenant if install else None)
        self.calls.append(call)
        self._notify()

        failure = self._take_failure(method)
        if failure is not None:
            if failure.status == 429:
                call.rate_limited = True
                self.rate_limited += 1
                return call, _too_many(1 if failure.retry_after is None else failure.retry_after)
            return call, web.json_response({"ok": False, "error": failure.error})
        if method == "oauth.v2.access":
            return call, web.json_response(self._oauth_access(request, body))
        if install is None:
            error = "token_revoked" if token in self.revoked else "invalid_auth"
            return call, web.json_response({"ok": False, "error": error})
        wait = self._over_limit(install, method, body)
        if wait > 0:
            call.rate_limited = True
            self.rate_limited += 1
            return call, _too_many(max(1, math.ceil(wait)))
        answer = self._answer(method, body, install)
        call.ok = bool(answer.get("ok"))
        return call, web.json_response(answer)

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await _decode_body(request)
        body["hook"] = request.match_info["hook"]
        replaces = self._hooks.get(body["hook"])
        if body.get("replace_original") in (True, "true") and replaces is not None:
            stored = self.messages.get(replaces)
            if stored is not None and not stored.deleted:
                stored.text = str(body.get("text", stored.text))
                stored.blocks = body.get("blocks") or []
                stored.edits += 1
        call = Call("response_url", body, ok=True)
        self.calls.append(call)
        self._notify()
        return self._answered(call, web.Response(text="ok"))

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL `files.getUploadURLExternal` handed out: the file's bytes, POSTed."""
        pending = self._pending_uploads.get(request.match_info["file_id"])
        if pending is None:
            return web.Response(status=404, text="unknown upload")
        pending.content = await request.read()
        self.calls.append(
            Call("upload", {"file_id": request.match_info["file_id"], "bytes": len(pending.content)})
        )
        return web.Response(text=f"OK - {len(pending.content)}")

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(str(body.get("files", "")))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        channel = str(body.get("channel_id") or body.get("channels") or "")
        shared = []
        for item in files:
            pending = self._pending_uploads.get(str(item.get("id")))
            if pending is None or pending.content is None:
                return {"ok": False, "error": "file_not_found"}
            if len(pending.content) != pending.length:
                return {"ok": False, "error": "file_upload_size_mismatch"}
        for item in files:
            file_id = str(item["id"])
            pending = self._pending_uploads.pop(file_id)
            title = str(item.get("title") or pending.filename)
            assert pending.content is not None
            self.uploads.append(
                UploadedFile(
                    file_id,
                    channel,
                    pending.filename,
                    title,
                    pending.content,
                    str(body.get("initial_comment") or ""),
                )
            )
            shared.append({"id": file_id, "name": pending.filename, "title": title, "size": pending.length})
        return {"ok": True, "files": shared}

    def _oauth_access(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access: exchange an install code, or a refresh token, for a bot token."""
        client_id, client_secret = _basic(request.headers.get("Authorization"))
        client_id = client_id or str(body.get("client_id", ""))
        client_secret = client_secret or str(body.get("client_secret", ""))
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        if body.get("grant_type") == "refresh_token":
            entry = self._refresh.pop(str(body.get("refresh_token", "")), None)
            if entry is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            old_token, install = entry
            self.revoke(old_token)
            return self._grant(install, rotated=True)
        install = self._codes.pop(str(body.get("code", "")), None)
        if install is None:
            return {"ok": False, "error": "invalid_code"}
        return self._grant(install, rotated=False)

    def _grant(self, install: Install, *, rotated: bool) -> dict[str, Any]:
        prefix = "xoxe.xoxb-1-" if self.expires_in is not None else "xoxb-"
        token = self.install(install, f"{prefix}{install.tenant}-{secrets.token_hex(8)}")
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": "ATUTOR",
            "access_token": token,
            "token_type": "bot",
            "scope": "chat:write,im:write,im:history,commands,users:read",
            "bot_user_id": install.bot_user_id,
            "team": {"id": install.team_id, "name": install.team_name} if install.team_id else None,
            "enterprise": {"id": install.enterprise_id, "name": "Grid Org"}
            if install.enterprise_id
            else None,
            "is_enterprise_install": install.is_enterprise_install,
        }
        if not rotated:
            answer["authed_user"] = {"id": "UINSTALLER"}
        if self.expires_in is not None:
            refresh = f"xoxe-1-{secrets.token_hex(12)}"
            self._refresh[refresh] = (token, install)
            answer.update({"expires_in": self.expires_in, "refresh_token": refresh})
        return answer

    def _over_limit(self, install: Install, method: str, body: dict[str, Any]) -> float:
        if not self.enforce_tiers:
            return 0.0
        now = time.monotonic()
        waits = []
        if method == "chat.postMessage":
            rate, burst = self.post_per_channel
            channel = str(body.get("channel", ""))
            waits.append(self._bucket(install.tenant, f"{method}:{channel}", rate, burst).take(now))
            # Slack also keeps an unpublished workspace-wide cap on chat.postMessage; not modelled.
        elif method in self.tiers:
            calls, per = self.tiers[method]
            waits.append(self._bucket(install.tenant, method, calls / per, calls).take(now))
        return max(waits, default=0.0)

    def _bucket(self, tenant: str, name: str, rate: float, burst: float) -> _Bucket:
        key = (tenant, name)
        if key not in self._buckets:
            self._buckets[key] = _Bucket(rate, burst)
        return self._buckets[key]

    def _answer(self, method: str, body: dict[str, Any], install: Install) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://tutorbot-test.slack.com/",
                "team": install.team_name,
                "user": "tutorbot",
                "team_id": install.team_id,
                "user_id": install.bot_user_id,
                "bot_id": BOT_ID,
                "enterprise_id": install.enterprise_id,
                "is_enterprise_install": install.is_enterprise_install,
            }
        if method == "conversations.open":
            user = str(body.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": f"D{user}"[:20]}}
        if method == "chat.postMessage":
            channel = str(body.get("channel", ""))
            metadata = body.get("metadata")
            if metadata is not None and not _metadata_ok(metadata):
                return {"ok": False, "error": "invalid_metadata_format"}
            ts = self._next_ts()
            self.messages[(channel, ts)] = StoredMessage(
                channel, ts, str(body.get("text", "")), body.get("blocks") or [], metadata=metadata
            )
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": body.get("text", ""), "ts": ts},
            }
        if method == "conversations.history":
            return self._history(body, install)
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
        if method == "views.open":
            return self._open_view(body)
        if method == "views.publish":
            return {"ok": True, "view": {"id": "VHOME", "type": "home", **(body.get("view") or {})}}
        if method == "users.info":
            user_id = str(body.get("user", ""))
            known = self.users.get(user_id)
            if known is None:
                return {"ok": True, "user": {"id": user_id, "team_id": install.team_id, "is_admin": False}}
            return {"ok": True, "user": {"id": user_id, "team_id": install.team_id, **known}}
        if method == "users.list":
            everyone = [{"id": uid, "team_id": install.team_id, **user} for uid, user in self.users.items()]
            start = int(body.get("cursor") or 0)
            limit = int(body.get("limit") or 100)
            following = start + limit if start + limit < len(everyone) else None
            return {
                "ok": True,
                "members": everyone[start : start + limit],
                "response_metadata": {"next_cursor": str(following) if following else ""},
            }
        if method == "conversations.info":
            channel = str(body.get("channel", ""))
            members = self.channel_members.get(channel)
            if members is None:  # unknown, or private without the bot in it: Slack hides it
                return {"ok": False, "error": "channel_not_found"}
            private = channel.startswith("G")
            return {
                "ok": True,
                "channel": {
                    "id": channel,
                    "name": channel.lower(),
                    "is_channel": not private,
                    "is_group": private,
                    "is_private": private,
                    "is_archived": False,
                    "is_member": install.bot_user_id in members,
                },
            }
        if method == "conversations.members":
            members = self.channel_members.get(str(body.get("channel", "")))
            if members is None:
                return {"ok": False, "error": "channel_not_found"}
            start = int(body.get("cursor") or 0)
            limit = int(body.get("limit") or 100)
            following = start + limit if start + limit < len(members) else None
            return {
                "ok": True,
                "members": members[start : start + limit],
                "response_metadata": {"next_cursor": str(following) if following else ""},
            }
        if method == "files.getUploadURLExternal":
            if not body.get("filename") or not str(body.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._ts):08d}"
            self._pending_uploads[file_id] = _Upload(str(body["filename"]), int(body["length"]))
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(body)
        return {"ok": True}

    def _open_view(self, body: dict[str, Any]) -> dict[str, Any]:
        """A modal, as Slack checks one: a trigger_id, a title of at most 24 characters, an
        initial value no longer than the input's max_length."""
        view = body.get("view")
        if not body.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        problems = []
        if len(view.get("title", {}).get("text", "")) > 24:
            problems.append("title must be less than 25 characters")
        if len(view.get("private_metadata", "")) > 3000:
            problems.append("private_metadata must be less than 3001 characters")
        for block in view.get("blocks") or []:
            element = block.get("element") or {}
            if len(element.get("initial_value", "")) > int(element.get("max_length", 3000)):
                problems.append("initial_value must not exceed max_length")
        if problems:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        view_id = f"V{next(self._ts):08d}"
        self.views.append({"id": view_id, **view})
        return {"ok": True, "view": {"id": view_id, **view}}

    # ---- helpers ---------------------------------------------------------------------------

    def _history(self, body: dict[str, Any], install: Install) -> dict[str, Any]:
        """`conversations.history`: the channel's messages, newest first, `limit` of them (100
        unless told); a message's `metadata` only with `include_all_metadata`, as Slack does."""
        channel = str(body.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        limit = int(body.get("limit") or 100)
        with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        found = self.channel_messages(channel)[::-1][:limit]
        messages = []
        for stored in found:
            message: dict[str, Any] = {
                "type": "message",
                "user": install.bot_user_id,
                "bot_id": BOT_ID,
                "text": stored.text,
                "blocks": stored.blocks,
                "ts": stored.ts,
            }
            if with_metadata and stored.metadata is not None:
                message["metadata"] = stored.metadata
            messages.append(message)
        return {"ok": True, "messages": messages, "has_more": False}

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

    def _answered(self, call: Call, response: web.Response) -> web.Response:
        for listener in self.listeners:
            listener(call)
        return response


def _metadata_ok(metadata: Any) -> bool:
    """Slack's shape for message metadata: `{"event_type": str, "event_payload": {...}}`."""
    return (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and bool(metadata["event_type"])
        and isinstance(metadata.get("event_payload"), dict)
    )


def _too_many(retry_after: int) -> web.Response:
    return web.json_response(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
    )


def _bearer(header: str | None) -> str:
    if header and header.startswith("Bearer "):
        return header[len("Bearer ") :]
    return ""


def _basic(header: str | None) -> tuple[str, str]:
    """oauth.v2.access may authenticate the client with HTTP Basic auth instead of form fields."""
    if header and header.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(header[len("Basic ") :]).decode().partition(":")
            return user, password
        except ValueError:
            pass
    return "", ""


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
