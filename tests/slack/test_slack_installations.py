"""The Redis installation and OAuth state stores, on a single server and on a Redis Cluster."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Bot, Installation

from bot.adapters.slack.installations import RedisInstallationStore, RedisOAuthStateStore
from bot.forget import forget_tenant
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder
from bot.storage.token_cipher import TokenCipher, new_key

KEYS = KeyBuilder("test")


def installation(team: str | None, user: str = "UADMIN", *, org: str | None = None) -> Installation:
    return Installation(
        team_id=team,
        enterprise_id=org,
        is_enterprise_install=team is None,
        user_id=user,
        user_token=f"xoxp-{user}-SECRET",
        bot_token=f"xoxb-{team or org}-SECRET",
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="chat:write,commands",
    )


async def test_save_find_and_delete_on_any_redis(redis_any: AsyncRedis) -> None:
    store = RedisInstallationStore(redis_any, KEYS, TokenCipher(new_key()))
    await store.async_save(installation("T1"))
    await store.async_save(installation("T1", user="UOTHER"))
    await store.async_save(installation(None, org="E1"))

    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert (
        isinstance(bot, Bot)
        and bot.bot_token == "xoxb-T1-SECRET"
        and bot.bot_scopes == ["chat:write", "commands"]
    )
    latest = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and latest.user_id == "UOTHER"
    first = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="UADMIN")
    assert first is not None and first.user_token == "xoxp-UADMIN-SECRET"
    # A workspace of org E1 without its own install is served by the org-wide one.
    via_org = await store.async_find_bot(enterprise_id="E1", team_id="T7", is_enterprise_install=True)
    assert via_org is not None and via_org.bot_token == "xoxb-E1-SECRET"
    assert await store.async_find_bot(enterprise_id=None, team_id="T7") is None

    await store.async_delete_installation(enterprise_id=None, team_id="T1", user_id="UADMIN")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="UADMIN") is None
    assert await store.bot_token("T1") == "xoxb-T1-SECRET"  # the bot stays
    assert await store.tenants() == ["E1", "T1"]

    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.bot_token("T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await store.tenants() == ["E1"]
    assert await store.bot_token("E1") == "xoxb-E1-SECRET"


async def test_records_are_unreadable_without_the_key(redis_any: AsyncRedis) -> None:
    key = new_key()
    await RedisInstallationStore(redis_any, KEYS, TokenCipher(key)).async_save(installation("T1"))
    assert await RedisInstallationStore(redis_any, KEYS, TokenCipher(new_key())).bot_token("T1") is None
    raw = await redis_any.get(KEYS.slack_installation("T1", "bot"))
    assert raw is not None and b"SECRET" not in raw and b"xoxb" not in raw


async def test_a_state_is_consumed_once_and_a_made_up_one_never(redis_any: AsyncRedis) -> None:
    states = RedisOAuthStateStore(redis_any, KEYS, expiration_seconds=60)
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("made-up") is False
    assert await states.async_consume("{weird} key") is False
    expiring = RedisOAuthStateStore(redis_any, KEYS, expiration_seconds=1)
    assert 0 < await redis_any.ttl(KEYS.oauth_state(await expiring.async_issue())) <= 1


async def test_forget_tenant_on_any_redis(redis_any: AsyncRedis) -> None:
    store = RedisInstallationStore(redis_any, KEYS, TokenCipher(new_key()))
    await store.async_save(installation("T1"))
    await store.async_save(installation("T2"))
    await redis_any.set("test:{slack:T1:U1}:state", "x")
    await redis_any.sadd(KEYS.learners("slack", "T1"), "U1")
    counted = await forget_tenant(redis_any, KEYS, "slack", "T1", erase=True)
    assert counted.learners == 1 and counted.keys >= 4
    assert await redis_any.get("test:{slack:T1:U1}:state") is None
    assert await store.bot_token("T1") is None and await store.bot_token("T2") is not None
