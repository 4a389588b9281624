"""A local fake of Discord's REST API, for tests that exercise discord.py's real HTTP client.

Listens on 127.0.0.1 (random port) under `/api/v10`, records every call, keeps the messages
it was sent (edits applied) and answers in Discord's shapes. Users in `blocked` refuse DMs
with 403 / code 50007, as Discord does; editing or deleting a message that is not there (or
was deleted) answers 404 / code 10008 Unknown Message. Point the bot at it with `DISCORD_API_URL` (`api_url`).

Servers: `members` (guild id → member objects, served by `GET /guilds/{id}/members` a page at
a time with `limit` and `after`; 403 / code 50001 Missing Access when `members_intent` is off,
as Discord answers an app without the Server Members intent; one by `GET
/guilds/{id}/members/{user}`, 404 / 10007 Unknown Member), `roles` (guild id → role objects)
and `channels` (channel id → channel objects with `guild_id` and `permission_overwrites`).
Messages with files arrive as multipart (`payload_json` and `files[n]`), as discord.py sends
them; their files are kept in the message's `files` as (filename, bytes).


Every answer carries Discord's rate-limit headers (`X-RateLimit-*`, a bucket per route);
A message create with a `nonce` and `enforce_nonce: true` that the bot already created in that
channel within `nonce_window_s` answers with that first message and creates nothing, as Discord
does; the nonce is echoed in the create's answer, never shown by a fetch. Ids are snowflakes of
the fake's clock (`now`), so a message's id tells when it was made. `GET /channels/{id}/messages`
serves a channel's messages as Discord does (newest first, `limit`, `before`/`after`), or 403 /
50001 (`history_refusals`), or nothing at all where the bot may not read history (`history_hidden`).
`rate_limit(fragment)` makes the next call whose path contains `fragment` answer 429 with
`Retry-After`, as Discord does, and discord.py waits and sends it again. Roles: `PUT /guilds/{g}/members/{u}/roles/{r}` (`granted`; `role_mode` for 403 and 404).
Private threads:
`POST /channels/{id}/threads` and `PUT /channels/{thread}/thread-members/{user}` (`threads`).
A component interaction's `@original` is the message its button is on, so an edit through the
interaction token edits that message.

It also serves the gateway at `/gateway` (`DISCORD_GATEWAY_URL`, `gateway_url`) over a real
websocket: HELLO with a heartbeat interval, READY after IDENTIFY (then a GUILD_CREATE for each
of `guilds`), heartbeat ACKs, and whatever events a test `dispatch`es, as JSON text frames.
`drop()` closes the connection as a network failure would; events dispatched meanwhile are
kept and replayed after the client's RESUME, followed by RESUMED.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, web


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body only when Content-Type is exactly `application/json` (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


RETRY_AFTER_S = 0.25


def _limits(path: str, remaining: int = 4) -> dict[str, str]:
    """Discord's rate-limit headers: a bucket per route, plenty left, resetting in a second."""
    bucket = "/".join(part if not part.isdigit() else "id" for part in path.split("/")[:4])
    return {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": f"bucket{abs(hash(bucket)) % 10**8}",
    }


def guild_object(guild: str, name: str) -> dict[str, Any]:
    """A GUILD_CREATE payload: the parts discord.py reads."""
    return {
        "id": guild,
        "name": name,
        "icon": None,
        "owner_id": "900000000000000003",
        "roles": [
            {
                "id": guild,
                "name": "@everyone",
                "permissions": "0",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "members": [],
        "channels": [],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "large": False,
        "unavailable": False,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "system_channel_flags": 0,
        "afk_timeout": 300,
        "joined_at": "2026-01-01T00:00:00+00:00",
    }


APP_ID = "900000000000000001"
GUILD_CHANNELS: dict[str, str] = {
    "700000000000000002": "700000000000000001",
    "710000000000000002": "710000000000000001",
}
"""Text channels of the test servers (channel id → server id), as `tests.discord.harness` names them."""
BOT_USER_ID = "900000000000000002"


@dataclass
class Call:
    method: str
    path: str
    body: Any
    authorized: bool
    at: float = field(default_factory=time.monotonic)
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeDiscordApi:
    token: str = "test-bot-token"
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    """Users Discord no longer knows (deleted accounts): opening a DM with one is 404, code 10013."""
    _dm: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    members_intent: bool = True
    roles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    app_id: str = APP_ID
    """The application (bot) this fake Discord serves."""
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Private threads made by the bot: id → channel object, with `members` (user ids)."""
    guilds: dict[str, str] = field(default_factory=dict)
    """Servers the bot is in (id → name), announced by GUILD_CREATE after READY."""
    heartbeat_interval_ms: int = 45_000
    ops: list[int] = field(default_factory=list)
    """Opcodes received on the gateway, in order (1 heartbeat, 2 identify, 6 resume)."""
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _limited: dict[str, int] = field(default_factory=dict)
    _originals: dict[str, str] = field(default_factory=dict)
    granted: list[tuple[str, str, str]] = field(default_factory=list)
    """Roles given to members: (guild, user, role), in order."""
    role_mode: str = "ok"
    """How role grants are answered: `ok`, `forbidden` (403) or `deleted` (404)."""
    deleted_roles: set[str] = field(default_factory=set)
    modals: list[dict[str, Any]] = field(default_factory=list)
    """Modals opened by interaction response type 9 (their `data`), as accepted."""
    posts_open: asyncio.Event = field(default_factory=asyncio.Event)
    """Each `POST /channels/{id}/messages` waits until this is set (at the start); clear it to
    hold the bot's work in flight (shutdown tests)."""
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    on_create: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    """Called with each message a create stores, before it is answered (a test may stop the
    bot's work right there: the message reached Discord, the answer never reached the bot)."""
    nonce_window_s: float = 300.0
    """How long a message create's `nonce` is remembered (Discord: "the past few minutes")."""
    now: Callable[[], float] = time.time
    """Discord's clock (epoch seconds): new ids are snowflakes of it (and so are messages'
    `timestamp`s), and the nonce window runs on it."""
    history_refusals: int = 0
    """The next this many `GET /channels/{id}/messages` answer 403 / code 50001 Missing Access."""
    history_hidden: set[str] = field(default_factory=set)
    """Channels whose history the bot may not read (no Read Message History): Discord answers
    `GET /channels/{id}/messages` there with no messages at all, not with an error."""
    _last_id: int = 0
    _nonces: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _sequence: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _port: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/gateway"

    async def __aenter__(self) -> FakeDiscordApi:
        self.posts_open.set()
        app = web.Application()
        app.router.add_route("*", "/api/v10/{path:.*}", self._handle)
        app.router.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        for socket in self._sockets:
            await socket.close()
        await self._runner.cleanup()

    @property
    def connected(self) -> bool:
        return bool(self._sockets)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event (`INTERACTION_CREATE`, …) to every connected client; kept for a
        RESUME when none is connected."""
        if (
            event == "INTERACTION_CREATE"
            and data.get("type") in (3, 5)
            and isinstance(data.get("message"), dict)
        ):
            self._originals[str(data["token"])] = str(data["message"]["id"])
        frame = {"op": 0, "t": event, "s": next(self._sequence), "d": data}
        self._events.append(frame)
        for socket in self._sockets:
            await socket.send_json(frame)

    async def drop(self) -> None:
        """Close every gateway connection abruptly (close code 4000, "unknown error"), as a
        failing network or a Discord restart does; the client is expected to RESUME."""
        self.resumed.clear()
        for socket in list(self._sockets):
            self._sockets.remove(socket)
            await socket.close(code=4000, message=b"dropped")

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})  # HELLO
        async for frame in socket:
            message = json.loads(frame.data)
            op = message.get("op")
            self.ops.append(op)
            if op == 1:  # HEARTBEAT
                await socket.send_json({"op": 11})
            elif op == 2:  # IDENTIFY
                self._sockets.append(socket)
                await self._ready(socket)
            elif op == 6:  # RESUME: what was missed, then RESUMED
                self._sockets.append(socket)
                after = int(message["d"].get("seq") or 0)
                for missed in [e for e in self._events if e["s"] > after]:
                    await socket.send_json(missed)
                await socket.send_json({"op": 0, "t": "RESUMED", "s": next(self._sequence), "d": {}})
                self.resumed.set()
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    async def _ready(self, socket: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": {
                "id": BOT_USER_ID,
                "username": "tutorbot",
                "discriminator": "0",
                "avatar": None,
                "bot": True,
            },
            "guilds": [{"id": guild, "unavailable": True} for guild in self.guilds],
            "private_channels": [],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.app_id, "flags": 0},
        }
        await socket.send_json({"op": 0, "t": "READY", "s": next(self._sequence), "d": ready})
        for guild, name in self.guilds.items():
            await socket.send_json(
                {"op": 0, "t": "GUILD_CREATE", "s": next(self._sequence), "d": guild_object(guild, name)}
            )
        self.identified.set()

    def rate_limit(self, fragment: str, times: int = 1) -> None:
        """The next `times` calls whose path contains `fragment` are answered 429."""
        self._limited[fragment] = self._limited.get(fragment, 0) + times

    def _limit(self, path: str) -> web.Response | None:
        for fragment, left in self._limited.items():
            if left and fragment in path:
                self._limited[fragment] = left - 1
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": RETRY_AFTER_S,
                    "global": False,
                }
                headers = {
                    **_limits(path, remaining=0),
                    "Retry-After": str(RETRY_AFTER_S),
                    "X-RateLimit-Scope": "user",
                    # Discord's own 429s come through its proxy; discord.py takes one without
                    # `Via` for a Cloudflare ban and gives up.
                    "Via": "1.1 google",
                }
                return _json(body, status=429, headers=headers)
        return None

    def guild_of(self, channel: str) -> str | None:
        """The server a channel belongs to, for the channel ids tests use (`GUILD_CHANNELS`)."""
        return GUILD_CHANNELS.get(channel)

    def thread_of(self, user: str) -> dict[str, Any] | None:
        """The private thread the bot made for `user`, if any."""
        return next((t for t in self.threads.values() if user in t["members"]), None)

    def new_id(self) -> str:
        """A snowflake of `now` (a new one for each call, in order, as Discord's are)."""
        made = (int(self.now() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(made, self._last_id + 1)
        return str(self._last_id)

    def dm_of(self, user: str) -> str:
        return self._dm.setdefault(user, self.new_id())

    def in_channel(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == channel and not m.get("deleted")]

    def of(self, method: str, fragment: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and fragment in c.path]

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            body, files = await _multipart(request)
        else:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        auth = request.headers.get("Authorization", "")
        self.calls.append(
            Call(request.method, path, body, auth == f"Bot {self.token}", query=dict(request.query))
        )
        limited = self._limit(path)
        if limited is not None:
            return limited
        response = await self._route(request, path, body, files)
        response.headers.update(_limits(path))
        return response

    async def _route(
        self, request: web.Request, path: str, body: Any, files: list[tuple[str, bytes]]
    ) -> web.Response:
        m = request.method
        parts = path.strip("/").split("/")
        if parts == ["users", "@me"] and m == "GET":
            return _json(
                {"id": BOT_USER_ID, "username": "tutorbot", "discriminator": "0", "avatar": None, "bot": True}
            )
        if parts == ["oauth2", "applications", "@me"] and m == "GET":
            owner = {"id": "900000000000000003", "username": "owner", "discriminator": "0", "avatar": None}
            return _json(
                {
                    "id": self.app_id,
                    "name": "tutorbot",
                    "description": "",
                    "icon": None,
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "owner": owner,
                    "verify_key": "0" * 64,
                    "flags": 0,
                }
            )
        if parts == ["gateway", "bot"] and m == "GET":
            limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})
        if parts == ["users", "@me", "channels"] and m == "POST":
            user = str(body["recipient_id"])
            if user in self.unknown:
                return _json({"message": "Unknown User", "code": 10013}, status=404)
            return _json(
                {
                    "id": self.dm_of(user),
                    "type": 1,
                    "recipients": [{"id": user, "username": "u", "discriminator": "0", "avatar": None}],
                }
            )
        if parts[0] == "guilds" and len(parts) == 3 and parts[2] == "members" and m == "GET":
            if not self.members_intent:
                return _json({"message": "Missing Access", "code": 50001}, status=403)
            after = int(request.query.get("after", "0"))
            limit = int(request.query.get("limit", "1"))
            listed = sorted(self.members.get(parts[1], []), key=lambda member: int(member["user"]["id"]))
            return _json([member for member in listed if int(member["user"]["id"]) > after][:limit])
        if parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members" and m == "GET":
            found = next(
                (x for x in self.members.get(parts[1], []) if str(x["user"]["id"]) == parts[3]), None
            )
            if found is None:
                return _json({"message": "Unknown Member", "code": 10007}, status=404)
            return _json(found)
        if parts[0] == "users" and len(parts) == 2 and parts[1] != "@me" and m == "GET":
            uid = parts[1]
            return _json({"id": uid, "username": f"user{uid[-3:]}", "discriminator": "0", "avatar": None})
        if parts[0] == "guilds" and len(parts) == 3 and parts[2] == "roles" and m == "GET":
            return _json(self.roles.get(parts[1], []))
        if parts[0] == "channels" and len(parts) == 2 and m == "GET":
            found = self.channels.get(parts[1])
            if found is None:
                return _json({"message": "Unknown Channel", "code": 10003}, status=404)
            return _json({"id": parts[1], "type": 0, "name": "general", "position": 0, **found})
        if parts[0] == "channels" and len(parts) == 3 and parts[2] == "threads" and m == "POST":
            thread = {
                "id": self.new_id(),
                "type": body.get("type", 11),
                "guild_id": self.guild_of(parts[1]),
                "parent_id": parts[1],
                "name": body["name"],
                "owner_id": BOT_USER_ID,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": body.get("auto_archive_duration", 4320),
                    "archive_timestamp": "2026-01-01T00:00:00+00:00",
                    "locked": False,
                    "invitable": body.get("invitable", True),
                },
                "member_count": 1,
                "message_count": 0,
                "members": [],
            }
            self.threads[thread["id"]] = thread
            return _json({k: v for k, v in thread.items() if k != "members"}, status=201)
        if parts[0] == "channels" and len(parts) == 4 and parts[2] == "thread-members" and m == "PUT":
            self.threads[parts[1]]["members"].append(parts[3])
            return web.Response(status=204)
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            channel = parts[1]
            if m == "GET" and len(parts) == 3:
                return self._history(channel, request.query)
            if m == "POST":
                await self.posts_open.wait()
                if any(self._dm.get(u) == channel for u in self.blocked):
                    return _json({"message": "Cannot send messages to this user", "code": 50007}, status=403)
                nonce, enforced = body.get("nonce"), body.get("enforce_nonce") is True
                first = self._first_with(channel, nonce) if enforced else None
                if first is not None:
                    return _json({k: v for k, v in first.items() if k != "files"})
                stored = self._store(channel, {k: v for k, v in body.items() if k != "enforce_nonce"})
                if nonce is not None:
                    self._nonces[(channel, str(nonce))] = (stored["id"], self.now())
                for listener in self.on_create:
                    listener(stored)
                if files:
                    stored["files"] = files
                    stored["attachments"] = [
                        {
                            "id": self.new_id(),
                            "filename": name,
                            "size": len(content),
                            "url": "",
                            "proxy_url": "",
                        }
                        for name, content in files
                    ]
                return _json({k: v for k, v in stored.items() if k != "files"})
            known = self.messages.get(parts[3]) if len(parts) > 3 else None
            if m in ("PATCH", "DELETE") and (known is None or known.get("deleted")):
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            if m == "PATCH":
                return _json(self._edit(parts[3], body))
            if m == "DELETE":
                self.messages[parts[3]]["deleted"] = True
                return web.Response(status=204)
        if parts[0] == "interactions" and parts[-1] == "callback":
            if body.get("type") == 9:
                problem = _modal_problem(body.get("data") or {})
                if problem:
                    return _json(
                        {"message": "Invalid Form Body", "code": 50035, "errors": problem}, status=400
                    )
                self.modals.append(body["data"])
            if body.get("type") in (4, 5):  # a new response message: @original is it, not the pressed one
                self._originals.pop(parts[2], None)
            return _json({"interaction": {"id": parts[1], "type": 2}, "resource": {"type": body["type"]}})
        if parts[0] == "webhooks" and len(parts) == 3 and m == "POST":
            return _json(self._store(f"eph-{parts[2]}", body))  # one "channel" per interaction token
        if parts[0] == "webhooks" and len(parts) == 5 and parts[3] == "messages":
            key = f"{parts[2]}:{parts[4]}"
            if m == "DELETE":
                return web.Response(status=204)
            pressed = self._originals.get(parts[2]) if parts[4] == "@original" else None
            if pressed is not None and pressed in self.messages and m == "PATCH":
                edited = self._edit(pressed, body)  # a click's @original is the message pressed
                return _json({k: v for k, v in edited.items() if k != "files"})
            stored = self.messages.setdefault(key, {"id": self.new_id(), "channel_id": "orig", "edits": 0})
            stored.update(body or {})
            stored["edits"] = stored.get("edits", 0) + 1
            if files:
                stored["files"] = files
            return _json({k: v for k, v in stored.items() if k != "files"})
        if parts[0] == "guilds" and len(parts) == 6 and parts[2] == "members" and parts[4] == "roles":
            return self._role_grant(request.method, parts[1], parts[3], parts[5])
        if parts[0] == "applications" and parts[-1] == "commands" and m == "PUT":
            return _json(
                [{**c, "id": self.new_id(), "application_id": self.app_id, "version": "1"} for c in body]
            )
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _first_with(self, channel: str, nonce: Any) -> dict[str, Any] | None:
        """The message the bot created in `channel` with `nonce` within `nonce_window_s`."""
        if nonce is None:
            return None
        seen = self._nonces.get((channel, str(nonce)))
        if seen is None or self.now() - seen[1] > self.nonce_window_s:
            return None
        return self.messages.get(seen[0])

    def _history(self, channel: str, query: Mapping[str, str]) -> web.Response:
        """`GET /channels/{id}/messages`: up to `limit` (1-100, default 50) of the channel's
        messages, newest first; with `before`, the latest ones older than it; with `after`,
        the earliest ones newer than it (still newest first, as Discord answers). `around` is
        not served here."""
        if self.history_refusals:
            self.history_refusals -= 1
            return _json({"message": "Missing Access", "code": 50001}, status=403)
        anchors = [name for name in ("before", "after", "around") if name in query]
        limit = int(query.get("limit", "50"))
        if not 1 <= limit <= 100 or len(anchors) > 1 or "around" in anchors:
            return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
        if channel in self.history_hidden:
            return _json([])
        listed = sorted(self.in_channel(channel), key=lambda message: int(message["id"]))
        if "after" in query:
            listed = [x for x in listed if int(x["id"]) > int(query["after"])][:limit]
        elif "before" in query:
            listed = [x for x in listed if int(x["id"]) < int(query["before"])][-limit:]
        else:
            listed = listed[-limit:]
        return _json([_fetched(message) for message in reversed(listed)])

    def _role_grant(self, method: str, guild: str, user: str, role: str) -> web.Response:
        """`PUT /guilds/{g}/members/{u}/roles/{r}`: 204 and recorded in `granted`, or as
        `role_mode` says: `forbidden` (403 / 50013, no Manage Roles or the role above the
        bot's), `deleted` (404 / 10011 Unknown Role)."""
        if method != "PUT":
            return _json({"message": "405: Method Not Allowed", "code": 0}, status=405)
        if self.role_mode == "forbidden":
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        if self.role_mode == "deleted" or role in self.deleted_roles:
            return _json({"message": "Unknown Role", "code": 10011}, status=404)
        self.granted.append((guild, user, role))
        return web.Response(status=204)

    def _store(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        message = {
            "id": self.new_id(),
            "channel_id": channel,
            "edits": 0,
            **body,
            "author": {
                "id": BOT_USER_ID,
                "username": "tutorbot",
                "discriminator": "0",
                "avatar": None,
                "bot": True,
            },
            "type": 0,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
        }
        message["timestamp"] = _snowflake_time(message["id"])
        self.messages[message["id"]] = message
        return message

    def _edit(self, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message = self.messages[message_id]
        message.update(body)
        message["edits"] += 1
        return message


DISCORD_EPOCH_MS = 1_420_070_400_000
"""Snowflakes count milliseconds from the start of 2015."""
NOT_FETCHED = frozenset({"edits", "deleted", "files", "nonce", "enforce_nonce", "allowed_mentions"})
"""What the fake keeps with a message that a fetch of it does not show (Discord keeps no nonce)."""


def _snowflake_time(snowflake: str) -> str:
    moment = ((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _fetched(message: dict[str, Any]) -> dict[str, Any]:
    """A kept message as a fetch answers it: Discord's fields, each embed typed `rich`, and
    each component numbered (`id`), as Discord adds them."""
    shown = {k: v for k, v in message.items() if k not in NOT_FETCHED}
    numbers = itertools.count(1)
    rows = [
        {
            **row,
            "id": next(numbers),
            "components": [{**c, "id": next(numbers)} for c in row.get("components", [])],
        }
        for row in message.get("components") or []
    ]
    return {
        **shown,
        "content": message.get("content") or "",
        "embeds": [{"type": "rich", **embed} for embed in message.get("embeds") or []],
        "components": rows,
        "edited_timestamp": message.get("timestamp") if message.get("edits") else None,
        "flags": message.get("flags", 0),
    }


def _modal_problem(data: dict[str, Any]) -> str:
    """What Discord would refuse in a modal: custom_id 1-100, title 1-45, 1-5 rows of text
    inputs with a custom_id, a label of 1-45 and a value no longer than max_length."""
    if not 1 <= len(str(data.get("custom_id", ""))) <= 100:
        return "custom_id"
    if not 1 <= len(str(data.get("title", ""))) <= 45:
        return "title"
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        return "components"
    for row in rows:
        for field_ in row.get("components") or []:
            if field_.get("type") != 4 or not field_.get("custom_id"):
                return "components.type"
            if not 1 <= len(str(field_.get("label", ""))) <= 45:
                return "components.label"
            if len(str(field_.get("value", ""))) > int(field_.get("max_length", 4000)):
                return "components.value"
    return ""


async def _multipart(request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """A message with files: `payload_json` (the message) and `files[n]` parts."""
    body: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        assert isinstance(part, BodyPartReader)
        if part.name == "payload_json":
            body = json.loads(await part.text())
        elif part.name and part.name.startswith("files["):
            files.append((part.filename or "", bytes(await part.read())))
    return body, files
