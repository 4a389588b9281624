"""Slack installations and OAuth states in Redis, behind slack-sdk's async store interfaces.

`RedisInstallationStore` is what Bolt's OAuth flow saves into and its `authorize` step reads
from. Each record is one JSON document encrypted whole with the `TokenCipher` (the bot token,
refresh token, user token and webhook URL inside it are never stored in the clear). Records sit
under the tenant's hash tag (see `tenancy.py` for what a tenant is), so every write and delete
here touches one Redis Cluster slot:

- `…{slack:T}:install:bot`: the bot, what `find_bot` returns;
- `…{slack:T}:install:latest`: the latest installation, what `find_installation` returns
  without a user;
- `…{slack:T}:install:user:U…`: the installation by that user (their user token, if any).

Bolt's built-in `tokens_revoked` / `app_uninstalled` listeners call the delete methods.
Learners' progress lives elsewhere and is not touched (see `tutorbot forget-tenant`).
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime
from typing import Any

from redis.asyncio import Redis, RedisCluster
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.adapters.slack.tenancy import tenant_of
from bot.storage.keys import KeyBuilder
from bot.storage.token_cipher import TokenCipher, UnreadableSecret

log = logging.getLogger(__name__)

BOT = "bot"
LATEST = "latest"
INDEX = "index"
"""A set of the record names the tenant has, so deleting or re-encrypting never scans."""


SAVE_LUA = """
-- KEYS[1]: the tenant's record index; KEYS[2..n+1]: records; ARGV[1..n]: values, ARGV[n+1..2n]: names
local n = #KEYS - 1
for i = 1, n do
  redis.call('SET', KEYS[i + 1], ARGV[i])
  redis.call('SADD', KEYS[1], ARGV[n + i])
end
return n
"""

REMOVE_LUA = """
-- KEYS[1]: the tenant's record index; KEYS[2..n+1]: records; ARGV[1..n]: their names
for i = 2, #KEYS do
  redis.call('DEL', KEYS[i])
  redis.call('SREM', KEYS[1], ARGV[i - 1])
end
if redis.call('SCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return #KEYS - 1
"""


def _user_record(user_id: str) -> str:
    return f"user:{user_id}"


class RedisInstallationStore(AsyncInstallationStore):
    def __init__(self, redis: Redis | RedisCluster, keys: KeyBuilder, cipher: TokenCipher) -> None:
        self._redis = redis
        self._keys = keys
        self._cipher = cipher
        # Scripts rather than MULTI, which a cluster client does not offer; all their keys
        # share the tenant's slot.
        self._save = redis.register_script(SAVE_LUA)
        self._remove = redis.register_script(REMOVE_LUA)

    @property
    def logger(self) -> logging.Logger:
        return log

    # ---- writing ------------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        tenant = self._tenant(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        records = {LATEST: self._seal(installation.to_dict_for_copying())}
        if installation.user_id:
            records[_user_record(installation.user_id)] = records[LATEST]
        if installation.bot_token:
            records[BOT] = self._seal(installation.to_bot().to_dict_for_copying())
        await self._write(tenant, records)

    async def async_save_bot(self, bot: Bot) -> None:
        tenant = self._tenant(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        await self._write(tenant, {BOT: self._seal(bot.to_dict_for_copying())})

    async def _write(self, tenant: str, records: dict[str, str]) -> None:
        index = self._keys.slack_installation(tenant, INDEX)
        names = list(records)
        keys = [index, *(self._keys.slack_installation(tenant, name) for name in names)]
        await self._save(keys=keys, args=[*(records[name] for name in names), *names])
        await self._redis.sadd(self._keys.slack_installations(), tenant)
        log.info("slack: installation saved for tenant %s", tenant)

    # ---- reading ------------------------------------------------------------------------------

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        for tenant in _candidates(enterprise_id, team_id, is_enterprise_install):
            data = await self._open(tenant, BOT)
            if data is not None:
                return Bot(**data)
        return None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        record = _user_record(user_id) if user_id else LATEST
        for tenant in _candidates(enterprise_id, team_id, is_enterprise_install):
            data = await self._open(tenant, record)
            if data is not None:
                return Installation(**data)
        return None

    async def bot_token(self, tenant: str) -> str | None:
        """The bot token serving `tenant`, or None when the app is not installed there."""
        data = await self._open(tenant, BOT)
        token = data.get("bot_token") if data else None
        return str(token) if token else None

    async def tenants(self) -> list[str]:
        members = await self._redis.smembers(self._keys.slack_installations())
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    # ---- deleting -----------------------------------------------------------------------------
    # Bolt calls these with the request's enterprise and team ids and no install kind; an id pair
    # names the workspace when it has a team, else the org. Uninstall events for org-wide installs
    # go through `delete_tenant`, which the app calls with the tenant it resolved itself.

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        tenant = team_id or enterprise_id
        if tenant:
            await self._delete(tenant, [BOT])
            log.info("slack: bot token deleted for tenant %s", tenant)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        tenant = team_id or enterprise_id
        if not tenant:
            return
        if user_id:
            await self._delete_user(tenant, user_id)
        else:
            await self._delete(tenant, [r for r in await self._records(tenant) if r != BOT])

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        tenant = team_id or enterprise_id
        if tenant:
            await self.delete_tenant(tenant)

    async def delete_tenant(self, tenant: str) -> None:
        """Every installation record and token of `tenant` (the app was uninstalled there)."""
        await self._delete(tenant, await self._records(tenant))
        await self._redis.srem(self._keys.slack_installations(), tenant)
        log.info("slack: installation and tokens deleted for tenant %s", tenant)

    async def _delete_user(self, tenant: str, user_id: str) -> None:
        record = _user_record(user_id)
        latest = await self._open(tenant, LATEST)
        if latest is not None and latest.get("user_id") == user_id:
            # The latest installation carries this user's token too: keep the bot, drop the user's.
            for name in ("user_token", "user_refresh_token", "user_token_expires_at", "user_scopes"):
                latest[name] = None
            await self._write(tenant, {LATEST: self._seal(latest)})
        await self._delete(tenant, [record])
        log.info("slack: a user token deleted for tenant %s", tenant)

    async def _delete(self, tenant: str, records: list[str]) -> None:
        if not records:
            return
        index = self._keys.slack_installation(tenant, INDEX)
        keys = [index, *(self._keys.slack_installation(tenant, record) for record in records)]
        await self._remove(keys=keys, args=records)

    async def _records(self, tenant: str) -> list[str]:
        members = await self._redis.smembers(self._keys.slack_installation(tenant, INDEX))
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    # ---- re-encryption (key rotation) ---------------------------------------------------------

    async def reencrypt(self) -> tuple[int, int]:
        """Re-encrypt every record with the first key. (records rewritten, records unreadable)"""
        done = failed = 0
        for tenant in await self.tenants():
            for record in await self._records(tenant):
                key = self._keys.slack_installation(tenant, record)
                sealed = await self._redis.get(key)
                if sealed is None:
                    continue
                try:
                    fresh = self._cipher.rotate(sealed.decode() if isinstance(sealed, bytes) else sealed)
                except UnreadableSecret:
                    failed += 1
                    continue
                await self._redis.set(key, fresh, xx=True)
                done += 1
        return done, failed

    # ---- helpers ------------------------------------------------------------------------------

    def _tenant(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> str:
        tenant = tenant_of(enterprise_id, team_id, is_enterprise_install)
        if tenant is None:
            raise ValueError("an installation names neither a workspace nor an organisation")
        return tenant

    def _seal(self, data: dict[str, Any]) -> str:
        return self._cipher.encrypt(json.dumps(data, default=_json_default, separators=(",", ":")))

    async def _open(self, tenant: str, record: str) -> dict[str, Any] | None:
        sealed = await self._redis.get(self._keys.slack_installation(tenant, record))
        if sealed is None:
            return None
        try:
            data = json.loads(self._cipher.decrypt(sealed.decode() if isinstance(sealed, bytes) else sealed))
        except (UnreadableSecret, ValueError):
            # Wrong TOKEN_ENCRYPTION_KEY, or a record not written by us: treat as not installed.
            log.error(
                "slack: installation record %s of tenant %s cannot be read with TOKEN_ENCRYPTION_KEY",
                record,
                tenant,
            )
            return None
        return data if isinstance(data, dict) else None


def _candidates(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> list[str]:
    """Where an installation serving this request may be: its own tenant first, then (inside a
    Grid org) the org-wide install, which serves every workspace of the org."""
    first = tenant_of(enterprise_id, team_id, is_enterprise_install)
    found = [first] if first else []
    if enterprise_id and enterprise_id not in found:
        found.append(enterprise_id)
    return found


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in an installation")


class RedisOAuthStateStore(AsyncOAuthStateStore):
    """OAuth `state` values: issued with an expiry, consumed at most once (GETDEL), so a reused
    or forged state is refused by Bolt's callback."""

    def __init__(self, redis: Redis | RedisCluster, keys: KeyBuilder, expiration_seconds: int = 600) -> None:
        self._redis = redis
        self._keys = keys
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        await self._redis.set(self._keys.oauth_state(state), "1", ex=self.expiration_seconds, nx=True)
        return state

    async def async_consume(self, state: str) -> bool:
        try:
            key = self._keys.oauth_state(state)
        except ValueError:
            return False  # not a state we could have issued
        return await self._redis.getdel(key) is not None
