"""`/cohort` in Slack: the slash command and its answer buttons, for facilitators.

The listeners check nothing but the payload's shape, ack within Slack's 3 seconds, and hand
the rest to the worker: the shared `CohortDesk` runs the subcommand (rights included) and the
answer goes back through the command's or button's `response_url`, ephemeral, so only the
facilitator sees it (a page button replaces the answer it is on). Files go to the
facilitator's DM with the bot through `files_upload_v2`.

`SlackDirectory` is Slack's part of the cohort directory: channel members from
`conversations.members` (every page) and names from `users.info`; Slack has no roles, and a
user group needs a scope the app does not ask for, so enrolling one is refused with a way
forward.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import ClientError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.cohort_desk import CohortDesk
from bot.adapters.intake import Intake
from bot.adapters.slack import translate
from bot.adapters.slack.outbox import SlackOutbox
from bot.adapters.slack.tokens import TokenSource
from bot.cohorts.answers import Answer, ChannelPost, refusal
from bot.cohorts.answers import channel as mention_channel
from bot.cohorts.directory import Concern, DirectoryRefusal
from bot.cohorts.models import Tenant
from bot.cohorts.rights import Caller, SlackWorkspaceAdmins
from bot.domain.events import Actor
from bot.render.cohort_slack import (
    ACTION_PREFIX,
    FORM_CALLBACK,
    FORM_FIELD,
    action_of,
    mrkdwn,
    render_answer_slack,
    render_form_slack,
)

log = logging.getLogger(__name__)

COMMAND = re.compile(r"^/cohort(-[a-z0-9]+)?$")
"""`/cohort`, and suffixed variants (`/cohort-dev`) for a second app in the same workspace."""
UNREADABLE = "Sorry, I couldn't read that command. Try `/cohort help`."
FORM_FAILED = "The edit form could not open in time; nothing changed. Press Edit again."
EMPTY_FORM = "An empty nudge can't be sent: cancel, and press Skip for this learner instead."
REPLACING = ("page", "nudge")
"""Buttons whose answer replaces the one they are on."""
MEMBERS_PAGE = 200
NOT_IN_CHANNEL = (
    "I'm not in {channel}, so I can't post there yet: invite me with `/invite @tutorbot` in that channel."
)
LIST_FROM = 40
"""From this many names on, `users.list` pages are read instead of a `users.info` per person."""
NAME_LOOKUPS = 8
"""`users.info` calls in flight when names are looked up (Tier 4: 100+ a minute)."""


async def tenant_token(tokens: TokenSource, tenant: str) -> str:
    token = await tokens.token_for(tenant)
    if token is None:
        raise DirectoryRefusal("This workspace's installation is gone: reinstall the app, then try again.")
    return token


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, tokens: TokenSource) -> None:
        self.client = client
        self.tokens = tokens

    async def channel_members(self, tenant: Tenant, channel: str) -> list[str]:
        token = await tenant_token(self.tokens, tenant.tenant)
        members: list[str] = []
        cursor = ""
        while True:
            try:
                page = await self.client.conversations_members(
                    token=token, channel=channel, limit=MEMBERS_PAGE, cursor=cursor or None
                )
            except SlackApiError as error:
                if error.response.get("error") in ("not_in_channel", "channel_not_found"):
                    raise DirectoryRefusal(
                        "I can't see that channel's members: invite me to it (`/invite @tutorbot`) "
                        "or enrol people by @user."
                    ) from None
                raise
            members += [str(member) for member in page.get("members") or []]
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return members

    async def role_members(self, tenant: Tenant, role: str) -> list[str]:
        raise DirectoryRefusal("Slack user groups can't be enrolled: enrol a #channel or @users instead.")

    async def role_concern(self, tenant: Tenant, role: str) -> Concern | None:
        return None  # Slack has no roles: the service refuses `pass-role` here

    async def channel_concern(self, tenant: Tenant, channel: str) -> Concern | None:
        """`conversations.info`'s `is_member`: the bot can post only in a channel it is in (a
        private channel it is not in is hidden from it: `channel_not_found`)."""
        try:
            token = await tenant_token(self.tokens, tenant.tenant)
            info = await self.client.conversations_info(token=token, channel=channel)
        except SlackApiError as error:
            if error.response.get("error") != "channel_not_found":
                log.warning(
                    "slack: channel %s of %s not checked: %s", channel, tenant, error.response.get("error")
                )
                return None
            return Concern(text=NOT_IN_CHANNEL.format(channel=mention_channel(channel)))
        except (DirectoryRefusal, ClientError, TimeoutError) as error:
            log.warning("slack: channel %s of %s not checked: %s", channel, tenant, type(error).__name__)
            return None
        if (info.get("channel") or {}).get("is_member"):
            return None
        return Concern(text=NOT_IN_CHANNEL.format(channel=mention_channel(channel)))

    async def display_names(self, tenant: Tenant, users: Sequence[str]) -> dict[str, str]:
        token = await tenant_token(self.tokens, tenant.tenant)
        if len(users) > LIST_FROM:
            return await self._listed_names(token, set(users))
        gate = asyncio.Semaphore(NAME_LOOKUPS)
        names: dict[str, str] = {}

        async def look_up(user: str) -> None:
            async with gate:
                try:
                    found = (await self.client.users_info(token=token, user=user)).get("user") or {}
                except (SlackApiError, ClientError, TimeoutError):
                    return  # the id stands in for the name
                if name := display_name_of(found):
                    names[user] = name

        await asyncio.gather(*(look_up(user) for user in users))
        return names

    async def _listed_names(self, token: str, wanted: set[str]) -> dict[str, str]:
        """Many names: `users.list` pages (200 people each) instead of one call per person."""
        names: dict[str, str] = {}
        cursor = ""
        while True:
            try:
                page = await self.client.users_list(token=token, limit=MEMBERS_PAGE, cursor=cursor or None)
            except (SlackApiError, ClientError, TimeoutError):
                return names  # ids stand in for the rest
            for found in page.get("members") or []:
                if found.get("id") in wanted and (name := display_name_of(found)):
                    names[str(found["id"])] = name
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor or len(names) == len(wanted):
                return names


def workspace_admins(client: AsyncWebClient, tokens: TokenSource) -> SlackWorkspaceAdmins:
    async def token_for(caller: Caller) -> str:
        return await tenant_token(tokens, caller.tenant)

    return SlackWorkspaceAdmins(client, token_for)


def display_name_of(user: Mapping[str, Any]) -> str:
    profile = user.get("profile") or {}
    return str(profile.get("display_name") or profile.get("real_name") or user.get("name") or "")[:80]


def _form_metadata(raw: str) -> tuple[str, str] | None:
    """(button value, answer's response_url) that `_open_form` put in the modal."""
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(meta, dict):
        return None
    value, response_url = meta.get("value"), meta.get("response_url")
    if isinstance(value, str) and isinstance(response_url, str) and value and response_url:
        return value, response_url
    return None


class SlackCohorts:
    """The `/cohort` listeners of one Slack app."""

    def __init__(self, desk: CohortDesk, outbox: SlackOutbox, intake: Intake) -> None:
        self.desk = desk
        self.outbox = outbox
        self.intake = intake

    def register(self, app: AsyncApp) -> None:
        """Call before any catch-all action listener: Bolt runs the first listener that matches."""
        app.command(COMMAND)(self.on_command)
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_action)
        app.view(FORM_CALLBACK)(self.on_form)

    async def on_command(self, ack: Callable[..., Awaitable[Any]], body: Mapping[str, Any]) -> None:
        form = translate.parse_slash(body)
        if form is None or not form.response_url:
            await ack(text=UNREADABLE)
            return
        caller = Caller(platform="slack", tenant=form.tenant, user=form.user_id)
        await ack()
        response_url = form.response_url

        channel = form.channel_id

        async def run() -> None:
            answer = await self.desk.run(caller, form.text)
            if answer.post is not None:
                answer = await self._post(caller.actor, answer, answer.post, channel)
            await self._answer(caller, answer, response_url, replace=False)

        self.intake.submit(caller.actor, "cohort command", run)

    async def on_action(self, ack: Callable[..., Awaitable[Any]], body: Mapping[str, Any]) -> None:
        await ack()
        payload = translate.parse_block_actions(body)
        tenant = payload.tenant if payload is not None else None
        if payload is None or tenant is None or not payload.response_url:
            log.warning("slack: unreadable cohort button dropped")
            return
        action = action_of(payload.action.action_id) or ""
        caller = Caller(platform="slack", tenant=tenant, user=payload.user.id)
        response_url = payload.response_url
        value = payload.action.value
        if action == "edit":
            trigger = payload.trigger_id or ""
            self.intake.submit(
                caller.actor, "cohort form", lambda: self._open_form(caller, value, trigger, response_url)
            )
            return

        async def run() -> None:
            answer = await self.desk.press(caller, action, value)
            # A page, or a change to a nudge preview, replaces the answer it was pressed on;
            # anything else (and any refusal) answers below it.
            await self._answer(caller, answer, response_url, replace=action in REPLACING and answer.ok)

        self.intake.submit(caller.actor, "cohort button", run)

    async def _open_form(self, caller: Caller, value: str, trigger: str, response_url: str) -> None:
        """An Edit button: the form as a modal (Slack wants it within 3 s of the click). The
        answer's `response_url` rides along, so the submitted text can update that answer."""
        form = await self.desk.form(caller, value)
        if isinstance(form, Answer):
            await self._answer(caller, form, response_url, replace=False)
            return
        metadata = json.dumps({"value": form.value, "response_url": response_url})
        try:
            token = await self.outbox.api.token(caller.actor)
            await self.outbox.client.views_open(
                token=token, trigger_id=trigger, view=render_form_slack(form, metadata)
            )
        except (SlackApiError, ClientError, TimeoutError) as error:  # the trigger expired (3 s)
            log.warning("slack: cohort form not opened: %s", type(error).__name__)
            await self._answer(caller, refusal(FORM_FAILED), response_url, replace=False)

    async def on_form(self, ack: Callable[..., Awaitable[Any]], body: Mapping[str, Any]) -> None:
        """The Edit form submitted: an empty text is refused in the form itself."""
        payload = translate.parse_view_submission(body)
        meta = _form_metadata(payload.view.private_metadata) if payload is not None else None
        tenant = payload.tenant if payload is not None else None
        if payload is None or meta is None or tenant is None:
            await ack()
            log.warning("slack: unreadable cohort form dropped")
            return
        text = payload.input(FORM_FIELD, FORM_FIELD) or ""
        if not text.strip():
            await ack(response_action="errors", errors={FORM_FIELD: EMPTY_FORM})
            return
        await ack()
        caller = Caller(platform="slack", tenant=tenant, user=payload.user.id)
        value, response_url = meta

        async def run() -> None:
            answer = await self.desk.edited(caller, value, text)
            await self._answer(caller, answer, response_url, replace=answer.ok)

        self.intake.submit(caller.actor, "cohort form", run)

    async def _answer(self, caller: Caller, answer: Answer, response_url: str, *, replace: bool) -> None:
        if answer.files:
            answer = await self._upload(caller.actor, answer)
        part = render_answer_slack(answer)
        hook = AsyncWebhookClient(response_url)
        try:
            response = await hook.send(
                text=part.text, blocks=part.blocks, response_type="ephemeral", replace_original=replace
            )
            if response.status_code != 200:
                log.warning("slack: cohort answer refused: http %s", response.status_code)
        except (TimeoutError, ClientError) as error:
            log.warning("slack: cohort answer not delivered: %s", type(error).__name__)

    async def _post(self, actor: Actor, answer: Answer, post: ChannelPost, channel: str) -> Answer:
        """The one public part of an answer (an anonymised reveal), in the command's channel."""
        try:
            token = await self.outbox.api.token(actor)
            if post.image is not None:
                await self.outbox.client.files_upload_v2(
                    token=token,
                    channel=channel,
                    content=post.image,
                    filename=post.image_name,
                    title=post.image_name,
                    initial_comment=mrkdwn(post.text),
                )
            else:
                await self.outbox.client.chat_postMessage(
                    token=token, channel=channel, text=mrkdwn(post.text)
                )
        except Exception as error:  # not in the channel, or Slack refused
            log.warning("slack: reveal not posted: %s", type(error).__name__)
            return Answer(
                title="I couldn't post in this channel: invite me to it (`/invite @tutorbot`) and try again.",
                ok=False,
            )
        return answer.model_copy(update={"post": None})

    async def _upload(self, actor: Actor, answer: Answer) -> Answer:
        """Files go to the facilitator's DM with the bot; the answer says where they went."""
        try:
            token = await self.outbox.api.token(actor)
            channel = await self.outbox.dm_channel(actor)
            await self.outbox.client.files_upload_v2(
                token=token,
                channel=channel,
                file_uploads=[
                    {"content": f.content, "filename": f.filename, "title": f.title} for f in answer.files
                ],
                initial_comment=answer.plain_title,
            )
        except Exception as error:  # a Slack refusal or the network: say so, keep the answer
            log.warning("slack: cohort files not uploaded: %s", type(error).__name__)
            return Answer(
                title=f"{answer.title} The files could not be sent to your DM; try again.", ok=False
            )
        return answer.model_copy(
            update={"title": f"{answer.title} The files are in your DM with me.", "files": ()}
        )
