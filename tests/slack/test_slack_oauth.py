"""Installed into many workspaces: the OAuth flow through the fake Web API, each workspace served
with its own token, uninstall, token rotation, Enterprise Grid, and tokens never in the clear."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from bot.adapters.slack.runner import run_slack, serve_http
from bot.cli import main
from bot.domain.events import Actor
from bot.forget import forget_tenant
from bot.settings import Settings
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from bot.storage.token_cipher import TokenCipher
from tests.fakes.slack_api import FakeSlackApi, Install
from tests.slack.harness import Grid, SlackHarness, event_body

ALICE = "UALICE"


@dataclass
class Served:
    slack: SlackHarness
    http: aiohttp.ClientSession
    base: str

    async def install(self, install: Install) -> str:
        """Go through the install as an admin's browser would; returns the token Slack issued."""
        async with self.http.get(f"{self.base}/slack/install") as page:
            assert page.status == 200
            html = await page.text()
            state = page.cookies["slack-app-oauth-state"].value
        assert f"state={state}" in html and "slack.com/oauth/v2/authorize" in html
        code = self.slack.api.authorization_code(install)
        assert await self.redirect(code, state) == 200
        [token] = self.slack.api.tokens_of(install.tenant)
        return token

    async def redirect(self, code: str, state: str) -> int:
        """Slack sends the browser back with the code; the browser brings the state cookie (sent
        by hand: it is a Secure cookie, which the client keeps for https only)."""
        async with self.http.get(
            f"{self.base}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": f"slack-app-oauth-state={state}"},
        ) as response:
            return response.status


@pytest.fixture
async def served(make_oauth_slack: Callable[..., SlackHarness]) -> AsyncIterator[Served]:
    slack = make_oauth_slack()
    runner = await serve_http(slack.app.web_app(path="/slack/events", port=0), 0, host="127.0.0.1")
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as http:
        yield Served(slack, http, f"http://127.0.0.1:{port}")
    await runner.cleanup()


@pytest.fixture
def redis(redis_any: aioredis.Redis) -> aioredis.Redis:
    """Installations, OAuth states and tenant erasure on a single Redis and on a Redis Cluster."""
    return redis_any


async def all_values(redis: aioredis.Redis) -> str:
    """Every key and string/set value in Redis, as text."""
    found = []
    async for key in redis.scan_iter(count=500):
        found.append(key.decode())
        kind = (await redis.type(key)).decode()
        if kind == "string":
            found.append((await redis.get(key)).decode())
        elif kind == "set":
            found.extend(m.decode() for m in await redis.smembers(key))
        elif kind == "hash":
            found.extend(v.decode(errors="replace") for v in (await redis.hgetall(key)).values())
    return "\n".join(found)


def posts_for(api: FakeSlackApi, user: str) -> list[str | None]:
    """The installation whose token carried each message posted to the user's DM."""
    return [c.tenant for c in api.of("chat.postMessage") if c.body.get("channel") == f"D{user}"[:20]]


# ---- the install ---------------------------------------------------------------------------------


async def test_install_through_oauth_stores_an_encrypted_token_and_serves_the_workspace(
    served: Served, redis: aioredis.Redis, oauth_settings: Settings
) -> None:
    token = await served.install(Install("T100", team_name="Acme"))

    [exchange] = served.slack.api.of("oauth.v2.access")  # answered by the fake: SLACK_API_URL applies
    assert exchange.body["code"].startswith("code-")
    installations = served.slack.adapter.installations
    assert installations is not None and await installations.bot_token("T100") == token
    stored = await all_values(redis)
    assert token not in stored and "xoxb-" not in stored  # encrypted at rest

    await served.slack.command(ALICE, "start", team="T100")
    assert "Lesson 1" in served.slack.dm_text(ALICE)
    assert set(posts_for(served.slack.api, ALICE)) == {"T100"}


async def test_a_forged_or_reused_state_is_refused(served: Served) -> None:
    forged = served.slack.api.authorization_code(Install("T300"))
    assert await served.redirect(forged, "made-up-state") in (400, 401)

    async with served.http.get(f"{served.base}/slack/install") as page:
        state = page.cookies["slack-app-oauth-state"].value
    first = served.slack.api.authorization_code(Install("T301"))
    assert await served.redirect(first, state) == 200
    again = served.slack.api.authorization_code(Install("T302"))
    assert await served.redirect(again, state) in (400, 401)  # a state works once

    installations = served.slack.adapter.installations
    assert installations is not None
    assert await installations.bot_token("T300") is None
    assert await installations.bot_token("T301") is not None
    assert await installations.bot_token("T302") is None
    assert len(served.slack.api.of("oauth.v2.access")) == 1  # refused before any code was spent


async def test_two_workspaces_are_each_served_with_their_own_token(
    served: Served, store: RedisLearnerStore
) -> None:
    await served.install(Install("T100"))
    await served.install(Install("T200"))
    bob = "UBOB"
    await served.slack.command(ALICE, "start", team="T100")
    await served.slack.read_lesson(ALICE, team="T100")
    await served.slack.command(bob, "start", team="T200")

    assert set(posts_for(served.slack.api, ALICE)) == {"T100"}
    assert set(posts_for(served.slack.api, bob)) == {"T200"}
    assert all(
        c.authorized for c in served.slack.api.calls if c.method not in ("response_url", "oauth.v2.access")
    )
    assert "Lesson 1 complete" in served.slack.dm_text(ALICE)
    assert "Lesson 1 complete" not in served.slack.dm_text(bob)
    # The same person in the other workspace is another learner.
    await served.slack.command(ALICE, "progress", team="T200")
    one = await store.load(Actor(platform="slack", tenant="T100", user=ALICE))
    two = await store.load(Actor(platform="slack", tenant="T200", user=ALICE))
    assert one is not None and two is not None and one.data != two.data


async def test_a_workspace_without_an_installation_is_not_served(served: Served) -> None:
    await served.install(Install("T100"))
    response = await served.slack.command(ALICE, "start", team="T999")
    assert response.status == 200
    assert posts_for(served.slack.api, ALICE) == []


# ---- uninstall and revoked tokens ------------------------------------------------------------


async def uninstall_event(slack: SlackHarness, team: str, grid: Grid | None = None) -> None:
    event = {"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}
    await slack.dispatch(event_body(team, event, grid=grid), "application/json")
    await slack.settle()


async def test_uninstall_deletes_the_installation_and_keeps_progress_until_forgotten(
    served: Served, redis: aioredis.Redis, store: RedisLearnerStore
) -> None:
    await served.install(Install("T100"))
    await served.install(Install("T200"))
    await served.slack.command(ALICE, "start", team="T100")
    await served.slack.command("UBOB", "start", team="T200")
    alice = Actor(platform="slack", tenant="T100", user=ALICE)

    await uninstall_event(served.slack, "T100")

    installations = served.slack.adapter.installations
    assert installations is not None
    assert await installations.bot_token("T100") is None
    assert await installations.bot_token("T200") is not None  # the other workspace is untouched
    assert ":{slack:T100}:install" not in await all_values(redis)
    assert await store.load(alice) is not None  # progress stays
    before = len(served.slack.api.of("chat.postMessage"))
    await served.slack.command(ALICE, "resume", team="T100")
    assert len(served.slack.api.of("chat.postMessage")) == before  # no token, no reply

    counted = await forget_tenant(redis, KeyBuilder("test"), "slack", "T100", erase=False)
    assert counted.learners == 1 and counted.keys > 0 and await store.load(alice) is not None
    erased = await forget_tenant(redis, KeyBuilder("test"), "slack", "T100", erase=True)
    assert erased.keys == counted.keys
    assert await store.load(alice) is None
    assert "{slack:T100" not in await all_values(redis)
    assert await store.load(Actor(platform="slack", tenant="T200", user="UBOB")) is not None


async def test_revoked_bot_token_deletes_the_installation(served: Served) -> None:
    await served.install(Install("T100"))
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UTUTORBOT"]}}
    await served.slack.dispatch(event_body("T100", event), "application/json")
    await served.slack.settle()
    installations = served.slack.adapter.installations
    assert installations is not None and await installations.bot_token("T100") is None


# ---- token rotation ----------------------------------------------------------------------------


async def test_an_expiring_token_is_refreshed_and_the_new_one_used(served: Served) -> None:
    api = served.slack.api
    api.expires_in = 12 * 3600  # rotation on, as Slack's 12-hour tokens
    first = await served.install(Install("T100"))
    installations = served.slack.adapter.installations
    assert installations is not None
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T100")
    assert bot is not None and bot.bot_refresh_token and bot.bot_token == first
    bot.bot_token_expires_at = int(time.time()) + 60  # about to expire
    await installations.async_save_bot(bot)

    await served.slack.command(ALICE, "start", team="T100")

    refreshes = [c for c in api.of("oauth.v2.access") if c.body.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    assert first in api.revoked
    [fresh] = api.tokens_of("T100")
    assert await installations.bot_token("T100") == fresh
    assert "Lesson 1" in served.slack.dm_text(ALICE)
    assert all(c.authorized for c in api.of("chat.postMessage"))


# ---- Enterprise Grid -----------------------------------------------------------------------------


async def test_an_org_wide_install_serves_every_workspace_of_the_org(
    served: Served, store: RedisLearnerStore
) -> None:
    org = Grid("E100")
    await served.install(Install(None, enterprise_id="E100", is_enterprise_install=True))
    slack = served.slack

    await slack.command(ALICE, "start", team="T101", grid=org)
    assert "Lesson 1" in slack.dm_text(ALICE)
    # Grid user ids span the org: the same learner, from another workspace of it.
    next_button = slack.button(ALICE, "next", team="E100")
    await slack.click(ALICE, next_button, team="T102", grid=org)
    await slack.dm(ALICE, "resume", team="T101", grid=org)

    assert set(posts_for(slack.api, ALICE)) == {"E100"}
    learner = await store.load(Actor(platform="slack", tenant="E100", user=ALICE))
    assert learner is not None
    assert await store.load(Actor(platform="slack", tenant="T101", user=ALICE)) is None
    assert await store.load(Actor(platform="slack", tenant="T102", user=ALICE)) is None

    await uninstall_event(slack, "T101", grid=org)
    installations = slack.adapter.installations
    assert installations is not None and await installations.bot_token("E100") is None


async def test_a_workspace_install_inside_an_org_is_its_own_tenant(served: Served) -> None:
    in_org = Grid("E100", org_install=False)
    await served.install(Install("T101", enterprise_id="E100", is_enterprise_install=False))
    await served.slack.command(ALICE, "start", team="T101", grid=in_org)
    assert set(posts_for(served.slack.api, ALICE)) == {"T101"}
    # Another workspace of the same org has not installed the app: not served.
    await served.slack.command("UBOB", "start", team="T102", grid=in_org)
    assert posts_for(served.slack.api, "UBOB") == []


# ---- settings ---------------------------------------------------------------------------------


async def test_oauth_mode_refuses_to_start_without_a_key(oauth_settings: Settings, tmp_path: Path) -> None:
    err = io.StringIO()
    settings = oauth_settings.model_copy(update={"token_encryption_key": None, "data_dir": tmp_path})
    assert await run_slack(http=True, port=0, settings=settings, err=err) == 2
    assert "TOKEN_ENCRYPTION_KEY is not set" in err.getvalue() and "tutorbot keygen" in err.getvalue()

    err = io.StringIO()
    bad = oauth_settings.model_copy(
        update={"token_encryption_key": SecretStr("not-a-key"), "data_dir": tmp_path}
    )
    assert await run_slack(http=True, port=0, settings=bad, err=err) == 2
    assert "not a Fernet key" in err.getvalue() and "not-a-key" not in err.getvalue()


def test_keygen_prints_a_key_that_encrypts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}=", key)
    cipher = TokenCipher(key)
    assert cipher.decrypt(cipher.encrypt("xoxb-1")) == "xoxb-1"


async def test_a_rotated_key_still_reads_old_records_and_reencrypts_them(
    redis: aioredis.Redis, token_key: str
) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from bot.adapters.slack.installations import RedisInstallationStore
    from bot.storage.token_cipher import new_key

    keys = KeyBuilder("test")
    old = RedisInstallationStore(redis, keys, TokenCipher(token_key))
    await old.async_save(
        Installation(
            team_id="T100", bot_token="xoxb-old-SECRET", bot_id="B1", bot_user_id="U1", user_id="UADMIN"
        )
    )
    newer = new_key()
    rotated = RedisInstallationStore(redis, keys, TokenCipher(f"{newer},{token_key}"))
    assert await rotated.bot_token("T100") == "xoxb-old-SECRET"  # the old key still opens it
    assert await rotated.reencrypt() == (3, 0)  # bot, latest, and the installer's record
    only_new = RedisInstallationStore(redis, keys, TokenCipher(newer))
    assert await only_new.bot_token("T100") == "xoxb-old-SECRET"  # the old key can go now
    assert await old.bot_token("T100") is None  # and no longer opens anything
    assert json.dumps(await all_values(redis)).count("SECRET") == 0
