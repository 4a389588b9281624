"""Delivers the engine's messages in Discord: Discord's part of `bot.adapters.delivery`.

`DiscordApi` is the platform, over discord.py's REST client (`HTTPClient`): cards go to the
learner's DM (`POST /users/@me/channels`, then `POST /channels/{id}/messages`). Payloads are
the renderer's API dicts sent as they are (`Route` + `HTTPClient.request`), so discord.py still
handles auth, rate limits (429) and retries.

`DiscordOutbox.at(origin)` gives the Outbox for one inbound event. When the event is an
interaction, its token allows what `DiscordReply` does besides the DM:

- replies only the learner sees (ephemeral follow-ups, or the deferred "thinking…" reply);
- an edit of the clicked message (`@original` of a button click is the message the button is on);
- if the learner does not accept DMs (Discord error 50007) and their server has no course
  channel (see `closed_dms`), they are told once how to open them, and the cards follow as
  ephemeral messages, whose buttons work the same way (for the 15 minutes an interaction
  token lives; `/tutor resume` starts again);
- a deferred `/tutor` reply that nothing else filled says where the cards went.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientError
from discord.http import HTTPClient, Route

import discord
from bot.adapters.cards import CardMemory
from bot.adapters.delivery import EventOutbox, PlatformOutbox
from bot.adapters.discord.closed_dms import ClosedDms, CourseThreads
from bot.adapters.discord.dm_course import DM_TENANT, CardTenants
from bot.adapters.platform import Posted, Pressed, Refused, Rendering, Where, note
from bot.domain.events import Actor
from bot.domain.outbox import PostOnce
from bot.render.discord import DiscordPayload, render_discord, render_discord_answered, render_discord_draft
from bot.render.limits import discord_problems

log = logging.getLogger(__name__)

EDIT_INTERVAL_S = 1.0
"""Message edits have no published limit; about one a second per message is the usual advice."""

EPHEMERAL = 64
CALLBACK_MESSAGE = 4
CALLBACK_DEFER_MESSAGE = 5
"""Answer later, showing "thinking…" until the original response is edited."""
CALLBACK_DEFER_UPDATE = 6
"""Answer later, without showing anything now (a button click)."""
CANNOT_DM = 50007
GONE = frozenset({10003, 10008})
"""Discord's codes for an unknown channel and an unknown message."""
UNKNOWN_USER = 10013
UNREACHABLE = frozenset({CANNOT_DM, UNKNOWN_USER, 50278})
"""Discord's codes for a user the bot cannot write to: DMs closed or no server shared any
more (50007), no such user (10013), no mutual guilds (50278)."""
NONCE_KEPT_S = 120.0
"""How long a takeover may still count on Discord de-duplicating a create with the same nonce:
Discord checks it "in the past few minutes"; a job is taken over when its 60 s lease runs out."""
HISTORY_LOOKED_AT = 50
"""How many messages of a channel, from a post's claim on, are searched for it: it went out
within moments of the claim, if at all, so it is among the first few."""
CLOCK_SKEW_S = 5.0
"""How far the sender's clock and Discord's may disagree: the search starts this much earlier."""
NO_MENTIONS: dict[str, Any] = {"parse": []}
"""Course text and learner echoes must never ping anyone."""

SENT_TO_DMS = "I've sent the course to your DMs."
DM_BLOCKED = (
    "I can't send you direct messages: your privacy settings block DMs from this server's members. "
    "I'll show the course here, only to you. To get it in your DMs, allow direct messages "
    "(Server → Privacy Settings) and run `/tutor resume`. I won't say this again."
)
DM_FAILED = "I couldn't send you a direct message just now. Try `/tutor resume` in a moment."


@dataclass(frozen=True)
class Origin:
    """Where the event being answered came from."""

    application_id: str | None = None
    token: str | None = None
    """The interaction token: replies and edits for 15 minutes, whatever the channel."""
    original_pending: bool = False
    """The interaction was deferred with "thinking…": its original response awaits content."""
    in_dm: bool = False
    pressed: Pressed | None = None
    """The clicked message and which of its card's buttons was pressed (engine buttons only)."""

    @property
    def interactive(self) -> bool:
        return bool(self.application_id and self.token)


@dataclass(frozen=True)
class Places:
    """Where a learner's cards go besides the DM, and what the DM's cards belong to (Redis)."""

    closed: ClosedDms
    threads: CourseThreads
    card_tenants: CardTenants


class DiscordApi:
    """The REST calls and payloads delivery needs (`bot.adapters.delivery.Platform`).

    With `places`, a learner in a server whose DMs are closed is not sent DMs (see
    `closed_dms`): their cards go to their private course thread, or are refused at once
    (`Refused(dm_blocked=True)`, no request) when the server has no course channel. And every
    card with buttons posted to a DM records the tenant it was rendered for (`dm_course`).
    """

    name = "discord"

    rendering = Rendering(render_discord, render_discord_draft, render_discord_answered, discord_problems)

    def __init__(self, http: HTTPClient, places: Places | None = None) -> None:
        self.http = http
        self.places = places
        self._bot_id: str | None = None

    def dm_key(self, actor: Actor) -> Hashable:
        return actor.user  # user ids are global: one DM whichever guild the course is for

    async def dm_blocked_note(self, actor: Actor) -> str | None:
        if self.places is None or await self.places.closed.first_telling(actor):
            return DM_BLOCKED
        return None

    async def request(self, route: Route, payload: dict[str, Any] | None = None, **params: Any) -> Any:
        """One REST call through discord.py; any failure becomes `Refused` with Discord's code."""
        try:
            if payload is None:  # no body at all (discord.py would send `null` as JSON)
                return await self.http.request(route, params=params or None)
            return await self.http.request(route, json=payload, params=params or None)
        except discord.HTTPException as error:
            reason = f"http {error.status} code {error.code}"
            raise Refused(
                reason,
                dm_blocked=error.code == CANNOT_DM,
                gone=error.code in GONE,
                unreachable=error.code in UNREACHABLE,
                retry_after_s=_retry_after(error) if error.status == 429 else None,
            ) from None
        except (TimeoutError, ClientError) as error:
            raise Refused(type(error).__name__) from None

    async def message(self, route: Route, payload: dict[str, Any], **params: Any) -> dict[str, Any]:
        """A call that answers with a message object."""
        data = await self.request(route, payload, **params)
        if not isinstance(data, dict):
            raise Refused("no message in the answer")
        return data

    async def open_dm(self, actor: Actor) -> str:
        data = await self.message(Route("POST", "/users/@me/channels"), {"recipient_id": actor.user})
        return str(data["id"])

    async def post(
        self, actor: Actor, channel: str, part: DiscordPayload, *, draft: bool = False, key: str | None = None
    ) -> Posted:
        """Post to the learner's DM `channel`, or to their course thread when their DMs are
        closed. With `key`, the message's `nonce` (with `enforce_nonce`) is made from it, so a
        second create with the same key within Discord's window returns the first message."""
        places = self.places
        nonce = None if key is None else message_nonce(key)
        if places is None or actor.tenant == DM_TENANT:
            return await self._post(channel, part, nonce)
        if await places.closed.closed(actor.user):
            return await self._post_in_thread(actor, part, nonce)
        try:
            posted = await self._post(channel, part, nonce)
        except Refused as error:
            if not error.dm_blocked:
                raise
            backoff = await places.closed.mark(actor.user)
            log.info("discord: DMs of %s are closed; not tried again for %ss", actor, backoff)
            return await self._post_in_thread(actor, part, nonce)
        if part.components:
            await places.card_tenants.remember(actor, posted.message_id)
        return posted

    async def posted_already(self, actor: Actor, channel: str, part: DiscordPayload, once: PostOnce) -> bool:
        """Within `NONCE_KEPT_S` of the claim, False: the same create with the same nonce and
        `enforce_nonce` is answered with the first message, if there was one. Later Discord has
        forgotten the nonce (and a fetched message never shows it), so the places `post` sends
        the learner's cards to are read: the DM, and their course thread if they have one. The
        post went out if one of the bot's messages there, created from the claim on (less
        `CLOCK_SKEW_S`), shows what this post shows (`_shown`: content, embed texts, button
        custom_ids). The key itself is not written into the message: nothing a learner cannot
        see survives a fetch but the buttons' custom_ids, which the engine parses
        (`bot.render.actions`). A read Discord refuses raises `Refused` (with its wait, never
        as unreachable): the post stays claimed, and is asked about again."""
        if once.unsure_for_s is None or once.unsure_for_s <= NONCE_KEPT_S:
            return False
        shown = _shown(_body(part))
        since = None if once.claimed_at is None else once.claimed_at - CLOCK_SKEW_S
        places = [(channel, False)]
        if self.places is not None and actor.tenant != DM_TENANT:
            thread = await self.places.threads.known(actor)
            if thread is not None:
                places.append((thread, True))
        unread: Refused | None = None
        for place, in_guild in places:
            try:
                if await self._shows(place, shown, since, in_guild=in_guild):
                    log.info("discord: post %s to %s found in %s: not posted again", once.key, actor, place)
                    return True
            except Refused as error:
                if not error.gone:  # a deleted thread shows nobody anything
                    unread = error
        if unread is not None:
            raise Refused(f"history unread: {unread.reason}", retry_after_s=unread.retry_after_s)
        return False

    async def _shows(self, channel: str, shown: Shown, since: float | None, *, in_guild: bool) -> bool:
        """Whether one of the bot's messages in `channel`, from `since` on (the latest, when
        unknown), shows `shown`. A guild channel answers a bot without Read Message History
        with no messages rather than an error: an empty page of a thread (which always holds
        the bot's first words) is checked against its latest message."""
        route = Route("GET", "/channels/{channel_id}/messages", channel_id=channel)
        after = {} if since is None else {"after": _snowflake_before(since)}
        page = await self.request(route, None, limit=HISTORY_LOOKED_AT, **after)
        if not isinstance(page, list):
            raise Refused("no messages in the answer")
        if not page and in_guild and not await self.request(route, limit=1):
            raise Refused("history hidden (Read Message History)")
        me = await self._me()
        return any(
            isinstance(message, dict)
            and str((message.get("author") or {}).get("id")) == me
            and (since is None or _created_at(message) >= since)
            and _shown(message) == shown
            for message in page
        )

    async def _me(self) -> str:
        """The bot's own user id (`GET /users/@me`, once)."""
        if self._bot_id is None:
            data = await self.request(Route("GET", "/users/@me"))
            if not isinstance(data, dict) or "id" not in data:
                raise Refused("no user in the answer")
            self._bot_id = str(data["id"])
        return self._bot_id

    async def _post(self, channel: str, part: DiscordPayload, nonce: str | None = None) -> Posted:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
        body = _body(part)
        if nonce is not None:
            body["nonce"] = nonce
            body["enforce_nonce"] = True
        return _posted(await self.message(route, body), channel)

    async def _post_in_thread(self, actor: Actor, part: DiscordPayload, nonce: str | None = None) -> Posted:
        assert self.places is not None
        thread = await self.places.threads.thread_for(actor)
        if thread is None:
            raise Refused("dms closed, no course channel", dm_blocked=True)
        return await self._post(thread, part, nonce)

    async def _where(self, actor: Actor, channel: str) -> str:
        """A draft is edited where it was posted: the course thread, while DMs are closed."""
        if (
            self.places is None
            or actor.tenant == DM_TENANT
            or not await self.places.closed.closed(actor.user)
        ):
            return channel
        return await self.places.threads.thread_for(actor) or channel

    async def edit(
        self, actor: Actor, channel: str, message_id: str, part: DiscordPayload, *, draft: bool = False
    ) -> None:
        # discord.py keeps Discord's limits itself; drafts are edited like anything else.
        channel = await self._where(actor, channel)
        route = Route(
            "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel, message_id=message_id
        )
        await self.request(route, _body(part))

    async def delete(self, actor: Actor, channel: str, message_id: str) -> None:
        channel = await self._where(actor, channel)
        route = Route(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel,
            message_id=message_id,
        )
        await self.request(route)

    # ---- interactions --------------------------------------------------------------------------

    async def respond(self, interaction_id: str, token: str, body: dict[str, Any]) -> None:
        """The interaction's first response (due within 3 s): a message, or a deferral."""
        route = Route(
            "POST",
            "/interactions/{webhook_id}/{webhook_token}/callback",
            webhook_id=interaction_id,
            webhook_token=token,
        )
        await self.request(route, body)

    async def followup(self, origin: Origin, part: DiscordPayload) -> dict[str, Any]:
        """An ephemeral follow-up message to the interaction."""
        route = Route(
            "POST",
            "/webhooks/{application_id}/{token}",
            application_id=origin.application_id,
            token=origin.token,
        )
        return await self.message(route, _body(part, EPHEMERAL), wait="true")

    async def edit_original(self, origin: Origin, part: DiscordPayload) -> dict[str, Any]:
        return await self.message(original_route("PATCH", origin), _body(part))

    async def delete_original(self, origin: Origin) -> None:
        await self.request(original_route("DELETE", origin))


def original_route(method: str, origin: Origin) -> Route:
    """The interaction's original response (for a click, the message the button is on)."""
    return Route(
        method,
        "/webhooks/{application_id}/{token}/messages/@original",
        application_id=origin.application_id,
        token=origin.token,
    )


class DiscordReply:
    """What one Discord event allows besides the DM (`bot.adapters.delivery.Reply`)."""

    def __init__(self, api: DiscordApi, origin: Origin) -> None:
        self.api = api
        self.origin = origin
        self.original_pending = origin.original_pending
        self.in_dm = origin.in_dm
        self.can_be_private = origin.interactive
        self.pressed = origin.pressed if origin.interactive else None

    async def private(self, actor: Actor, part: DiscordPayload) -> Posted | None:
        if self.original_pending:
            # A deferred "thinking…" reply is completed by editing it; it is already ephemeral.
            self.original_pending = False
            posted = await self.api.edit_original(self.origin, part)
        else:
            posted = await self.api.followup(self.origin, part)
        if "id" not in posted:
            return None
        if self.in_dm and part.components and self.api.places is not None:
            await self.api.places.card_tenants.remember(actor, str(posted["id"]))
        return _posted(posted, "")

    async def edit_pressed(self, actor: Actor, part: DiscordPayload) -> None:
        await self.api.edit_original(self.origin, part)

    async def conclude(self, where: Where) -> None:
        if not self.original_pending:
            return
        self.original_pending = False
        try:
            if where is Where.HERE:
                # In the DM the cards are right below; "thinking…" would only linger.
                await self.api.delete_original(self.origin)
            else:
                text = DM_FAILED if where is Where.NOWHERE else SENT_TO_DMS
                await self.api.edit_original(self.origin, render_discord(note(text))[0])
        except Refused as error:
            log.warning("discord: deferred reply not completed: %s", error.reason)


class DiscordOutbox(PlatformOutbox[DiscordPayload]):
    """The Outbox for one bot."""

    def __init__(
        self,
        http: HTTPClient,
        cards: CardMemory | None = None,
        *,
        edit_interval_s: float = EDIT_INTERVAL_S,
        places: Places | None = None,
    ) -> None:
        self.api = DiscordApi(http, places)
        super().__init__(self.api, cards, edit_interval_s=edit_interval_s)

    def at(self, origin: Origin) -> EventOutbox[DiscordPayload]:
        """The Outbox for one inbound event."""
        return self.for_event(DiscordReply(self.api, origin))


def message_nonce(key: str) -> str:
    """A message nonce (at most 25 characters) made from an idempotency key of any length."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


Shown = tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]]


def _shown(message: dict[str, Any]) -> Shown:
    """What a message shows, as a sent body and a fetched message both give it: its content,
    its embeds' texts and its buttons' custom_ids. What Discord adds (an embed's `type`, a
    component's `id`) or trims (surrounding whitespace) makes no difference."""

    def text(value: Any) -> str:
        return str(value or "").strip()

    embeds = tuple(
        (
            text(embed.get("title")),
            text(embed.get("description")),
            text((embed.get("footer") or {}).get("text")),
            *(f"{text(f.get('name'))}\n{text(f.get('value'))}" for f in embed.get("fields") or []),
        )
        for embed in message.get("embeds") or []
    )
    buttons = tuple(
        str(item["custom_id"])
        for row in message.get("components") or []
        for item in row.get("components") or []
        if item.get("custom_id")
    )
    return text(message.get("content")), embeds, buttons


def _created_at(message: dict[str, Any]) -> float:
    """When Discord made the message (epoch seconds), from its snowflake id."""
    try:
        return discord.utils.snowflake_time(int(message["id"])).timestamp()
    except (KeyError, TypeError, ValueError):
        return 0.0


def _snowflake_before(moment: float) -> int:
    """The largest snowflake older than `moment`: `after` it are the messages made from `moment` on."""
    return max(0, discord.utils.time_snowflake(datetime.fromtimestamp(moment, UTC)) - 1)


def _retry_after(error: discord.HTTPException) -> float:
    """What Discord said to wait (discord.py retries 429s itself; one that reaches us is spent)."""
    try:
        return float(error.response.headers.get("Retry-After") or 5)
    except (AttributeError, TypeError, ValueError):
        return 5.0


def _posted(data: dict[str, Any], channel: str) -> Posted:
    if "id" not in data:
        raise Refused("no message id in the answer")
    return Posted(str(data.get("channel_id") or channel), str(data["id"]))


def _body(part: DiscordPayload, flags: int = 0) -> dict[str, Any]:
    # Every field is sent, empty or not, so an edit also removes what is gone (old buttons).
    body: dict[str, Any] = {
        "content": part.content,
        "embeds": part.embeds,
        "components": part.components,
        "allowed_mentions": NO_MENTIONS,
    }
    if flags:
        body["flags"] = flags
    return body
