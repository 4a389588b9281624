"""Settings from the environment and `.env`. Every field has a default, so no settings are needed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Thinking = Literal["disabled", "adaptive", "default"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Where state lives. Empty REDIS_URL: start the embedded redis-server in DATA_DIR.
    redis_url: str = ""
    redis_cluster: bool = False
    """`REDIS_URL` names a node of a Redis Cluster: use a cluster client (it finds the others)."""
    data_dir: Path = PROJECT_ROOT / "data"
    key_prefix: str = "tutorbot"
    # Timed jobs (nudges, lesson releases) run inside each Slack and Discord process unless this
    # is off, for deployments that run `tutorbot scheduler` apart instead.
    scheduler_in_process: bool = True
    redis_max_connections: int = 64
    redis_timeout_s: float = Field(default=2.0, gt=0)
    """How long one Redis call waits to connect, and for its reply, before the course is told
    unavailable (a hung Redis must not hold a learner's click for ever)."""

    course_dir: Path = PROJECT_ROOT / "course_data"
    module_id: str = "module-02-technical-roles"

    instance_name: str = ""
    """This process's name, kept across restarts, so at start-up it takes over at once the lab
    turns it was answering when it stopped. Empty: the host name. Each running process needs
    its own (on one host, set it)."""
    lab_turn_lease_s: float = 15.0
    """A lab turn whose process has not renewed its lease for this long is taken over."""

    # Learner limits
    max_message_chars: int = 1500
    lab_exchange_cap: int = 10
    event_log_cap: int = 500
    transcript_cap: int = 200

    # Lab advisor (Anthropic). No key: the offline advisor answers.
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-haiku-5-5"
    anthropic_max_tokens: int = 500
    anthropic_thinking: Thinking = "disabled"
    """Sent as `thinking: {"type": ...}`: thinking tokens count against `max_tokens` and are billed
    as output, so lab replies turn it off; `default` sends nothing (the model's own default)."""
    anthropic_timeout_s: float = 30.0
    anthropic_max_retries: int = 2
    anthropic_max_wait_s: float = 20.0
    learner_daily_tokens: int = 200_000
    tenant_daily_tokens: int = 5_000_000

    # Certificates on a pass
    certificate_secret: SecretStr | None = None
    """Signs certificate verification codes (any long random string); no secret, no certificates."""

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = Field(default=None, description="Web API base URL override (tests, proxies)")
    # Slack, installed into many workspaces (OAuth; HTTP mode, no SLACK_BOT_TOKEN)
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None
    slack_token_rotation_minutes: int = 120
    """Refresh a rotating token this many minutes before it expires."""
    token_encryption_key: SecretStr | None = None
    """Fernet key(s), newest first, comma-separated, that encrypt installation tokens at rest."""
