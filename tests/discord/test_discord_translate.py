from __future__ import annotations

from bot.adapters.discord import translate
from bot.adapters.discord.settings import DiscordSettings
from bot.domain.events import Command, Press, Text
from tests.discord.harness import GUILD, click_payload, command_payload

U = "500000000000000001"


def test_slash_command_in_guild_and_dm() -> None:
    guild = translate.parse_interaction(command_payload(U, "resume"))
    assert guild is not None
    cmd = translate.command(guild)
    assert cmd == Command(actor=translate.actor_for(GUILD, U), name="resume")
    dm = translate.parse_interaction(command_payload(U, "start", guild=None))
    assert dm is not None
    assert translate.command(dm, "dm") == Command(actor=translate.actor_for(None, U), name="start")
    assert translate.command(dm, GUILD).actor.tenant == GUILD  # the DM continues the last guild's course


def test_missing_or_unknown_action_is_help() -> None:
    for action in (None, "explode"):
        parsed = translate.parse_interaction(command_payload(U, action))
        assert parsed is not None and translate.command(parsed).name == "help"  # type: ignore[union-attr]


def test_button_click_decodes_and_forged_is_none() -> None:
    message = {"id": "1", "channel_id": "2"}
    good = translate.parse_interaction(click_payload(U, message, "tb1:answer:opt-b:r17"))
    assert good is not None
    click = translate.click(good)
    assert click is not None and isinstance(click.event, Press)
    assert (click.event.action, click.event.arg, click.event.token, click.button_index) == (
        "answer",
        "opt-b",
        "r17",
        1,
    )
    for forged in ("evil", "tb1:answer:opt b:r17", "x" * 500, "tb01:answer::"):
        parsed = translate.parse_interaction(click_payload(U, message, forged))
        assert parsed is not None
        assert translate.click(parsed).event is None  # type: ignore[union-attr]


def test_malformed_payloads_are_refused() -> None:
    assert translate.parse_interaction({"id": "x"}) is None
    bad_user = command_payload(U, "start")
    bad_user["member"]["user"]["id"] = "not-a-snowflake"
    assert translate.parse_interaction(bad_user) is None


def test_dm_text_ignores_bots_guilds_and_blank() -> None:
    base = {"id": "3", "channel_id": "4", "author": {"id": U}, "content": "  hello  ", "type": 0}
    parsed = translate.parse_message(base)
    assert parsed is not None and translate.dm_text(parsed) == Text(
        actor=translate.actor_for(None, U), text="hello"
    )
    for change in ({"author": {"id": U, "bot": True}}, {"guild_id": GUILD}, {"content": "  "}, {"type": 7}):
        other = translate.parse_message({**base, **change})
        assert other is not None and translate.dm_text(other) is None


def test_settings_problems_never_show_the_token() -> None:
    missing = DiscordSettings(_env_file=None)  # type: ignore[call-arg]
    assert any("DISCORD_BOT_TOKEN" in p for p in missing.problems())
    sharded = DiscordSettings(
        _env_file=None, discord_bot_token="SECRET-TOKEN", discord_shard_ids="0,5", discord_shard_count=2
    )  # type: ignore[call-arg]
    problems = sharded.problems()
    assert sharded.sharded and any("outside" in p for p in problems)
    assert not any("SECRET-TOKEN" in p for p in problems)


def test_course_channels_and_dev_guild_settings() -> None:
    settings = DiscordSettings(
        _env_file=None,  # type: ignore[call-arg]
        discord_course_channels="700000000000000001:700000000000000002, 710000000000000001:710000000000000002",
        discord_dev_guild="700000000000000001",
    )
    assert settings.discord_course_channels == {
        "700000000000000001": "700000000000000002",
        "710000000000000001": "710000000000000002",
    }
    assert settings.discord_dev_guild == 700000000000000001
    try:
        DiscordSettings(_env_file=None, discord_course_channels="general")  # type: ignore[call-arg]
    except ValueError as error:
        assert "server_id:channel_id" in str(error)
    else:
        raise AssertionError("a course channel without its server is refused")
