"""Drives the Slack app as Slack would, and reads the DM back as the learner would see it."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.app import SlackAdapter
from bot.course.models import Module, Question
from bot.domain.events import Actor
from bot.render.actions import decode
from tests.fakes.slack_api import FakeSlackApi, StoredMessage

BOT_TOKEN = "xoxb-test-token-SECRET"
SIGNING_SECRET = "test-signing-secret-SECRET"
CHANNEL = "CGENERAL1"

_ids = itertools.count(1)


def sign(body: str, timestamp: str | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    return {
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body),
    }


@dataclass(frozen=True)
class Grid:
    """Enterprise Grid fields of a payload: the org, and whether the app is installed org-wide."""

    enterprise: str
    org_install: bool = True


def command_body(
    team: str,
    user: str,
    text: str,
    channel: str = CHANNEL,
    response_url: str | None = None,
    grid: Grid | None = None,
    command: str = "/tutor",
) -> str:
    form = {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "ATUTOR",
        "trigger_id": f"{next(_ids)}.trigger",
    }
    if response_url:
        form["response_url"] = response_url
    if grid:
        form.update(
            enterprise_id=grid.enterprise,
            enterprise_name="Grid Org",
            is_enterprise_install="true" if grid.org_install else "false",
        )
    return urlencode(form)


def click_body(
    team: str,
    user: str,
    value: str,
    *,
    channel: str,
    ts: str | None,
    response_url: str | None,
    action_id: str | None = None,
    container_type: str = "message",
    label: str = "Button",
    grid: Grid | None = None,
) -> str:
    container: dict[str, Any] = {"type": container_type}
    if container_type == "message":
        container.update({"message_ts": ts, "channel_id": channel, "is_ephemeral": False})
    else:
        container.update({"view_id": "VHOME"})
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "ATUTOR",
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": f"{next(_ids)}.trigger",
        "actions": [
            {
                "action_id": action_id or value,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": label},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if grid:
        payload["enterprise"] = {"id": grid.enterprise, "name": "Grid Org"}
        payload["is_enterprise_install"] = grid.org_install
        payload["user"]["enterprise_id"] = grid.enterprise  # type: ignore[index]
    if container_type == "message":
        payload["channel"] = {"id": channel, "name": "directmessage"}
    if response_url:
        payload["response_url"] = response_url
    return "payload=" + quote(json.dumps(payload))


def event_body(
    team: str, event: dict[str, Any], event_id: str | None = None, grid: Grid | None = None
) -> str:
    authorization: dict[str, Any] = {"team_id": team, "user_id": "UTUTORBOT", "is_bot": True}
    body: dict[str, Any] = {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "ATUTOR",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [authorization],
    }
    if grid:
        # As Slack sends it for an org-wide install: the org in the authorization, no team.
        body["enterprise_id"] = grid.enterprise
        authorization.update(
            enterprise_id=grid.enterprise,
            team_id=None if grid.org_install else team,
            is_enterprise_install=grid.org_install,
        )
        body["is_ext_shared_channel"] = False
    return json.dumps(body)


@dataclass(frozen=True)
class CohortReply:
    """An ephemeral `/cohort` answer as Slack received it at the `response_url`."""

    body: dict[str, Any]

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.body.get("blocks") or [])

    @property
    def text(self) -> str:
        return "\n".join(b["text"]["text"] for b in self.blocks if b.get("type") == "section")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [e for b in self.blocks if b.get("type") == "actions" for e in b["elements"]]

    @property
    def ephemeral(self) -> bool:
        return self.body.get("response_type") == "ephemeral"


@dataclass(frozen=True)
class ShownButton:
    label: str
    value: str
    action: str
    arg: str
    ts: str
    channel: str


def message_text(message: StoredMessage) -> str:
    """Everything a message shows, as plain-ish text (mrkdwn markers and escapes removed)."""
    parts: list[str] = []
    for block in message.blocks:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for element in block.get("elements", []):
            if element.get("type") in ("mrkdwn", "plain_text"):
                parts.append(element.get("text", ""))
    return plain("\n".join(parts))


def plain(text: str) -> str:
    for mark in ("*", "_", "~", "`"):
        text = text.replace(mark, "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackHarness:
    def __init__(self, adapter: SlackAdapter, api: FakeSlackApi, module: Module) -> None:
        self.adapter = adapter
        self.app = adapter.app
        self.api = api
        self.module = module

    # ---- sending as Slack ------------------------------------------------------------------

    async def dispatch(
        self, body: str, content_type: str, headers: dict[str, str] | None = None, *, signed: bool = True
    ) -> BoltResponse:
        all_headers = {"content-type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        return await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=all_headers))

    async def command(
        self,
        user: str,
        text: str,
        *,
        team: str = "T1",
        channel: str = CHANNEL,
        settle: bool = True,
        grid: Grid | None = None,
    ) -> BoltResponse:
        hook = self.api.response_url(f"cmd-{next(_ids)}")
        response = await self.dispatch(
            command_body(team, user, text, channel, hook, grid), "application/x-www-form-urlencoded"
        )
        if settle:
            await self.settle()
        return response

    async def cohort(self, user: str, text: str, *, team: str = "T1", channel: str = CHANNEL) -> CohortReply:
        """`/cohort TEXT` as Slack sends it (with `should_escape`, mentions arrive as `<@U…>`);
        returns the ephemeral answer posted to the command's `response_url`."""
        hook = f"cohort-{next(_ids)}"
        body = command_body(team, user, text, channel, self.api.response_url(hook), command="/cohort")
        response = await self.dispatch(body, "application/x-www-form-urlencoded")
        assert response.status == 200
        await self.settle()
        return self.cohort_reply(hook)

    async def cohort_click(
        self, user: str, reply: CohortReply, label: str, *, team: str = "T1"
    ) -> CohortReply:
        """Presses a button of an ephemeral `/cohort` answer."""
        element = next(e for e in reply.buttons if e["text"]["text"] == label)
        hook = f"cohort-click-{next(_ids)}"
        body = click_body(
            team,
            user,
            element["value"],
            channel=CHANNEL,
            ts=None,
            response_url=self.api.response_url(hook),
            action_id=element["action_id"],
            label=label,
        )
        response = await self.dispatch(body, "application/x-www-form-urlencoded")
        assert response.status == 200
        await self.settle()
        return self.cohort_reply(hook)

    async def cohort_edit(
        self, user: str, reply: CohortReply, label: str, text: str, *, team: str = "T1"
    ) -> tuple[dict[str, Any], CohortReply | None]:
        """Presses an Edit button, types `text` into the modal it opened and submits it, as
        Slack would; returns the modal and the answer that replaced the one pressed (None if
        the modal refused the text)."""
        element = next(e for e in reply.buttons if e["text"]["text"] == label)
        opened = len(self.api.views)
        hook = f"cohort-edit-{next(_ids)}"
        body = click_body(
            team,
            user,
            element["value"],
            channel=CHANNEL,
            ts=None,
            response_url=self.api.response_url(hook),
            action_id=element["action_id"],
            label=label,
        )
        assert (await self.dispatch(body, "application/x-www-form-urlencoded")).status == 200
        await self.settle()
        assert len(self.api.views) == opened + 1, "no modal opened"
        view = self.api.views[-1]
        block = view["blocks"][0]
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": "test"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "ATUTOR",
            "token": "legacy-verification-token",
            "trigger_id": f"{next(_ids)}.trigger",
            "view": {
                **view,
                "team_id": team,
                "state": {
                    "values": {
                        block["block_id"]: {
                            block["element"]["action_id"]: {"type": "plain_text_input", "value": text}
                        }
                    }
                },
            },
            "response_urls": [],
            "is_enterprise_install": False,
        }
        submitted = "payload=" + quote(json.dumps(payload))
        response = await self.dispatch(submitted, "application/x-www-form-urlencoded")
        assert response.status == 200
        await self.settle()
        if response.body:
            return view, None
        return view, self.cohort_reply(hook)

    def cohort_reply(self, hook: str) -> CohortReply:
        posted = [call.body for call in self.api.of("response_url") if call.body.get("hook") == hook]
        assert len(posted) == 1, f"expected one answer at {hook}, got {len(posted)}"
        return CohortReply(posted[0])

    async def click(
        self,
        user: str,
        button: ShownButton,
        *,
        team: str = "T1",
        settle: bool = True,
        grid: Grid | None = None,
    ) -> BoltResponse:
        hook = self.api.response_url(f"click-{next(_ids)}", button.channel, button.ts)
        body = click_body(
            team,
            user,
            button.value,
            channel=button.channel,
            ts=button.ts,
            response_url=hook,
            label=button.label,
            grid=grid,
        )
        response = await self.dispatch(body, "application/x-www-form-urlencoded")
        if settle:
            await self.settle()
        return response

    async def dm(
        self,
        user: str,
        text: str,
        *,
        team: str = "T1",
        event_id: str | None = None,
        retry: int | None = None,
        settle: bool = True,
        grid: Grid | None = None,
    ) -> BoltResponse:
        event = {
            "type": "message",
            "channel": self.dm_channel(user),
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "event_ts": f"{time.time():.6f}",
        }
        headers = {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"} if retry else {}
        response = await self.dispatch(event_body(team, event, event_id, grid), "application/json", headers)
        if settle:
            await self.settle()
        return response

    async def home_opened(self, user: str, *, team: str = "T1") -> BoltResponse:
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.dm_channel(user),
            "tab": "home",
            "event_ts": "1.0",
        }
        response = await self.dispatch(event_body(team, event), "application/json")
        await self.settle()
        return response

    async def settle(self) -> None:
        assert await self.adapter.worker.drain(timeout=30), "Slack work did not finish"

    # ---- reading the DM --------------------------------------------------------------------

    @staticmethod
    def dm_channel(user: str) -> str:
        return f"D{user}"[:20]  # what the fake's conversations.open answers

    def dm_messages(self, user: str) -> list[StoredMessage]:
        return self.api.channel_messages(self.dm_channel(user))

    def dm_text(self, user: str) -> str:
        return "\n\n".join(message_text(m) for m in self.dm_messages(user))

    def buttons(self, user: str, team: str = "T1") -> list[ShownButton]:
        """Buttons of the last DM message that has any (the card the learner would act on)."""
        actor = Actor(platform="slack", tenant=team, user=user)
        for message in reversed(self.dm_messages(user)):
            found = []
            for block in message.blocks:
                if block.get("type") != "actions":
                    continue
                for element in block["elements"]:
                    press = decode(element["value"], actor)
                    assert press is not None, element
                    found.append(
                        ShownButton(
                            element["text"]["text"],
                            element["value"],
                            press.action,
                            press.arg,
                            message.ts,
                            message.channel,
                        )
                    )
            if found:
                return found
        return []

    def button(self, user: str, action: str, arg: str = "", team: str = "T1") -> ShownButton:
        for button in self.buttons(user, team):
            if button.action == action and (not arg or button.arg == arg):
                return button
        shown = [(b.label, b.action, b.arg) for b in self.buttons(user, team)]
        raise AssertionError(f"no {action}:{arg} button in the DM; shown: {shown}")

    def question_shown(self, user: str, questions: tuple[Question, ...] | list[Question]) -> Question:
        text = self.dm_messages(user)[-1]
        shown = message_text(text)
        for question in questions:
            if plain(question.stem)[:60] in shown:
                return question
        raise AssertionError("no known question in the last DM message:\n" + shown)

    async def answer(
        self, user: str, questions: tuple[Question, ...] | list[Question], correct: bool, team: str = "T1"
    ) -> Question:
        question = self.question_shown(user, questions)
        option = question.correct_option if correct else next(o for o in question.options if not o.correct)
        await self.click(user, self.button(user, "answer", option.id, team), team=team)
        return question

    async def read_lesson(self, user: str, team: str = "T1") -> None:
        while any(b.action == "next" for b in self.buttons(user, team)):
            await self.click(user, self.button(user, "next", team=team), team=team)
