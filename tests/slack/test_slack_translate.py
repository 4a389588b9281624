"""Slack payloads → neutral events: the pure translation functions and the edge models."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.adapters.slack import translate
from bot.adapters.slack.models import AppHomeOpenedEvent, BlockActionsPayload, MessageEvent, SlashCommandForm
from bot.domain.events import Actor, Command, Press, Text
from bot.domain.messages import Button
from bot.render.actions import encode

ACTOR = Actor(platform="slack", tenant="T1", user="U1")


def form(text: str, **extra: Any) -> SlashCommandForm:
    fields = {
        "command": "/tutor",
        "text": text,
        "team_id": "T1",
        "user_id": "U1",
        "channel_id": "C1",
        **extra,
    }
    return SlashCommandForm.model_validate(fields)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("start", "start"),
        ("resume", "resume"),
        ("progress", "progress"),
        ("help", "help"),
        ("  START  now", "start"),
        ("", "help"),
        ("   ", "help"),
        ("enrol everyone", "help"),
        ("menu", "help"),
    ],
)
def test_slash_subcommands(text: str, name: str) -> None:
    assert translate.slash_command(form(text)) == Command(actor=ACTOR, name=name)  # type: ignore[arg-type]


def test_workspaces_are_tenants() -> None:
    one = translate.slash_command(form("start")).actor
    other = translate.slash_command(form("start", team_id="T2")).actor
    assert one.user == other.user and one != other
    assert str(other) == "slack:T2:U1"


def block_actions(value: str, action_id: str | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "x"},
        "user": {"id": "U1", "team_id": "T1"},
        "container": {"type": "message", "channel_id": "DU1", "message_ts": "1.2"},
        "channel": {"id": "DU1"},
        "response_url": "https://hooks.slack.com/actions/T1/1/x",
        "actions": [
            {"action_id": action_id or value, "value": value, "type": "button", "text": {"text": "A"}}
        ],
    }
    body.update(changes)
    return body


def test_click_on_an_engine_button_is_a_press() -> None:
    value = encode(Button(label="Option", action="answer", arg="b", token="7"), 2)
    payload = translate.parse_block_actions(block_actions(value))
    assert payload is not None
    click = translate.click(payload)
    assert click is not None
    assert click.event == Press(actor=ACTOR, action="answer", arg="b", token="7")
    assert click.button_index == 2


@pytest.mark.parametrize(
    "value",
    [
        "",
        "hello",
        "tb1:answer:b",
        "tb01:answer:b:7",
        "tb1:answer:b:7:extra",
        "tb1:an swer:b:7",
        "x" * 500,
        "tb1:" + "a" * 30 + "::",
    ],
)
def test_forged_or_malformed_buttons_translate_to_nothing(value: str) -> None:
    payload = translate.parse_block_actions(block_actions(value))
    assert payload is not None
    click = translate.click(payload)
    assert click is not None and click.actor == ACTOR
    assert click.event is None


def test_value_must_match_action_id() -> None:
    good = encode(Button(label="Continue", action="next", token="3"), 0)
    edited = encode(Button(label="Continue", action="next", token="4"), 0)
    payload = translate.parse_block_actions(block_actions(edited, action_id=good))
    assert payload is not None
    assert translate.click(payload).event is None  # type: ignore[union-attr]


def test_home_buttons() -> None:
    for action_id, name in ((translate.HOME_RESUME_ACTION, "resume"), (translate.HOME_START_ACTION, "start")):
        payload = translate.parse_block_actions(
            block_actions(action_id, container={"type": "view", "view_id": "V1"}, channel=None)
        )
        assert payload is not None and payload.channel_id is None
        assert translate.click(payload).event == Command(actor=ACTOR, name=name)  # type: ignore[union-attr]


def test_org_wide_click_without_team_uses_the_users_team() -> None:
    payload = translate.parse_block_actions(block_actions("tb0:menu::", team=None))
    assert payload is not None
    assert translate.click(payload).actor == ACTOR  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "change",
    [
        {"type": "view_submission"},
        {"actions": []},
        {"user": {"id": "U1:evil"}},
        {"user": {"id": ""}},
        {"team": {"id": "T" * 65}},
        {"actions": [{"value": "tb0:menu::"}]},
    ],
)
def test_malformed_click_payloads_are_refused(change: dict[str, Any]) -> None:
    assert translate.parse_block_actions(block_actions("tb0:menu::", **change)) is None


def envelope(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev123", "event": event, **changes}
    return body


def im(text: str = "hello", **changes: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "DU1",
        "channel_type": "im",
        "user": "U1",
        "text": text,
        "ts": "1.1",
        **changes,
    }


def test_dm_text_is_text() -> None:
    parsed = translate.parse_event(envelope(im("  What does an ML engineer do?  ")), MessageEvent)
    assert parsed is not None
    assert translate.dm_text(*parsed) == Text(actor=ACTOR, text="What does an ML engineer do?")


def test_dm_text_is_unescaped() -> None:
    parsed = translate.parse_event(envelope(im("a &lt;b&gt; &amp; c &amp;lt;")), MessageEvent)
    assert parsed is not None
    assert translate.dm_text(*parsed).text == "a <b> & c &lt;"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "changes",
    [
        {"bot_id": "B1"},
        {"subtype": "message_changed"},
        {"subtype": "bot_message"},
        {"channel_type": "channel"},
        {"channel_type": "mpim"},
        {"user": None},
        {"text": "   "},
    ],
)
def test_other_messages_are_ignored(changes: dict[str, Any]) -> None:
    parsed = translate.parse_event(envelope(im(**changes)), MessageEvent)
    assert parsed is not None
    assert translate.dm_text(*parsed) is None


@pytest.mark.parametrize(
    "body",
    [
        envelope(im(), event_id="Ev 1"),
        envelope(im(), team_id=None),
        envelope({"type": "reaction_added"}),
        {"type": "url_verification", "challenge": "x"},
        json.loads('{"type": "event_callback"}'),
    ],
)
def test_malformed_events_are_refused(body: dict[str, Any]) -> None:
    assert translate.parse_event(body, MessageEvent) is None


def test_home_opened_event() -> None:
    parsed = translate.parse_event(
        envelope({"type": "app_home_opened", "user": "U1", "tab": "home"}), AppHomeOpenedEvent
    )
    assert parsed is not None and parsed[1].tab == "home"


def test_block_actions_model_reads_the_first_action() -> None:
    payload = BlockActionsPayload.model_validate(block_actions("tb0:menu::"))
    assert (
        payload.action.action_id == "tb0:menu::" and payload.team_id == "T1" and payload.channel_id == "DU1"
    )
