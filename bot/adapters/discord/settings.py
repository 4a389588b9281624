"""Discord settings, read from the environment or `.env` like the rest (`bot.settings.Settings`).

Kept in the adapter so that running the terminal or Slack bot never needs to know about them.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DiscordSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_bot_token: SecretStr | None = None
    discord_api_url: str | None = Field(
        default=None, description="REST base URL override, e.g. http://127.0.0.1:8080/api/v10"
    )
    discord_gateway_url: str | None = Field(
        default=None, description="Gateway URL override, e.g. ws://127.0.0.1:8080/gateway"
    )
    discord_dev_guild: int | None = Field(
        default=None,
        description="Sync the commands to this one server, where they appear at once (development); "
        "global sync (which takes a while to reach every server) otherwise",
    )
    discord_course_channels: dict[str, str] = Field(
        default_factory=dict,
        description="Per server, the channel whose private threads carry the course of learners "
        "with closed DMs: `server_id:channel_id,…`",
    )
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: list[int] | None = Field(
        default=None, description="Shards this process runs, e.g. `0,1,2` (needs DISCORD_SHARD_COUNT)"
    )

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # `DISCORD_SHARD_IDS=0,1` reads better in an env file than a JSON list.
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("discord_course_channels", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        # `DISCORD_COURSE_CHANNELS=111:222,333:444` rather than JSON in an env file.
        if isinstance(value, str) and not value.strip().startswith("{"):
            pairs = [part.split(":", 1) for part in value.replace(" ", "").split(",") if part]
            if any(len(pair) != 2 or not all(p.isdigit() for p in pair) for pair in pairs):
                raise ValueError("expected server_id:channel_id pairs separated by commas")
            return dict(pairs)
        return value

    @property
    def sharded(self) -> bool:
        return self.discord_shard_count is not None or bool(self.discord_shard_ids)

    def problems(self) -> list[str]:
        """What is missing or inconsistent. Names settings, never their values."""
        problems: list[str] = []
        token = self.discord_bot_token.get_secret_value().strip() if self.discord_bot_token else ""
        if not token:
            problems.append(
                "DISCORD_BOT_TOKEN is not set (Developer Portal → your application → Bot → Reset Token)."
            )
        if self.discord_shard_ids and self.discord_shard_count is None:
            problems.append("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total number of shards).")
        if self.discord_shard_ids and self.discord_shard_count is not None:
            bad = [i for i in self.discord_shard_ids if not 0 <= i < self.discord_shard_count]
            if bad:
                problems.append(
                    f"DISCORD_SHARD_IDS has ids outside 0..{self.discord_shard_count - 1}: {bad}."
                )
        return problems
