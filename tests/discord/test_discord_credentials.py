"""Credentials on Discord through the real client and the fake API: `/tutor certificate` as
attachments, and the cohort's pass role granted on a pass (or the facilitator told, once)."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from PIL import Image

from bot.credentials.cli import run_verify
from bot.domain.codec import encode
from bot.domain.events import Actor
from bot.settings import Settings
from bot.storage.redis_store import RedisLearnerStore
from tests.credentials.passes import SECRET, passed_state
from tests.discord.harness import (
    GUILD,
    MANAGE_GUILD,
    DiscordHarness,
    click_payload,
    command_payload,
    role_object,
    user,
)
from tests.engine.driver import Learner
from tests.engine.test_journey import sit_test
from tests.fakes.discord_api import BOT_USER_ID

BOSS = "510000000000000001"
ROLE = "520000000000000009"
BOT_ROLE = "520000000000000002"
L1, L2 = "530000000000000001", "530000000000000002"


def said(h: DiscordHarness, channel: str) -> str:
    return "\n".join(
        " ".join([m.get("content") or "", *(e.get("description", "") for e in m.get("embeds", []))])
        for m in h.api.in_channel(channel)
    )


def grantable(h: DiscordHarness) -> None:
    """The server as a pass role needs it: the bot's role has Manage Roles and is above `ROLE`."""
    h.api.roles[GUILD] = [
        {**role_object(GUILD), "name": "@everyone", "position": 0},
        {**role_object(ROLE), "position": 1},
        {**role_object(BOT_ROLE, str(1 << 28)), "position": 2, "managed": True},
    ]
    bot = {**user(BOT_USER_ID), "bot": True}
    h.api.members[GUILD] = [{"user": bot, "roles": [BOT_ROLE], "joined_at": "2026-01-01T00:00:00+00:00"}]


async def cohort_with_pass_role(h: DiscordHarness, *learners: str) -> None:
    boss = {"permissions": MANAGE_GUILD}
    grantable(h)
    await h.cohort(BOSS, "create", name="spring", **boss)
    await h.cohort(BOSS, "policy", name="spring", key="test-open-early", value="on", **boss)
    answer = await h.cohort(BOSS, "policy", name="spring", key="pass-role", value=f"<@&{ROLE}>", **boss)
    assert f"`pass-role` is now <@&{ROLE}>" in str(answer)
    for learner in learners:
        await h.cohort(BOSS, "enrol", name="spring", user_id=learner, **boss)


async def pass_the_test(h: DiscordHarness, module: Any, user: str) -> Learner:
    learner = Learner(h.adapter.engine, user=user, tenant=GUILD, platform="discord")
    await learner.command("start")
    await learner.open(module.test.id)
    await sit_test(learner, module, right=15)
    assert "Passed" in (learner.shown[0].heading or "")
    await h.settle()
    return learner


async def test_a_pass_grants_the_cohorts_role(harness: DiscordHarness, module) -> None:
    await cohort_with_pass_role(harness, L1)
    assert harness.api.granted == []
    await pass_the_test(harness, module, L1)
    assert harness.api.granted == [], "granted by the scheduler's job, not in the pass's own path"
    assert await harness.scheduler().run_until_idle() == 1
    assert harness.api.granted == [(GUILD, L1, ROLE)]


@pytest.mark.parametrize(("mode", "why"), [("forbidden", "Manage Roles"), ("deleted", "no longer exists")])
async def test_a_role_that_cannot_be_granted_is_told_to_the_facilitator_once(
    harness: DiscordHarness, module, redis, caplog: pytest.LogCaptureFixture, mode: str, why: str
) -> None:
    await cohort_with_pass_role(harness, L1, L2)
    boss_dm = harness.api.dm_of(BOSS)
    before = len(harness.api.in_channel(boss_dm))
    harness.api.role_mode = mode
    with caplog.at_level(logging.WARNING):
        for user in (L1, L2):
            await pass_the_test(harness, module, user)
        assert await harness.scheduler().run_until_idle() == 2
    told = harness.api.in_channel(boss_dm)[before:]
    assert len(told) == 1, "told once, not once per learner"
    assert why in said(harness, boss_dm) and f"<@&{ROLE}>" in said(harness, boss_dm)
    assert harness.api.granted == []
    warnings = [r.getMessage() for r in caplog.records if "pass role" in r.getMessage()]
    assert any(ROLE in w and L1 in w for w in warnings) and any(L2 in w for w in warnings)
    store = harness.adapter.engine.store
    for user in (L1, L2):  # the passes stand
        stored = await store.load(Actor(platform="discord", tenant=GUILD, user=user))
        assert stored is not None and b'"passed":true' in stored.data

    # Once the server is fixed, fetching the certificate makes the grant up.
    harness.api.role_mode = "ok"
    await harness.interaction(command_payload(L1, "certificate"))
    assert harness.api.granted == [(GUILD, L1, ROLE)]


async def certificate(h: DiscordHarness, uid: str, guild: str | None = GUILD) -> dict[str, Any]:
    payload = command_payload(uid, "certificate", guild)
    await h.interaction(payload)
    return h.api.messages[f"{payload['token']}:@original"]


async def test_tutor_certificate_sends_the_png_and_pdf_and_the_code_verifies(
    harness: DiscordHarness, module, capsys: pytest.CaptureFixture[str]
) -> None:
    learner = "530000000000000041"
    reply = await certificate(harness, learner)
    assert "not passed it yet" in str(reply) and "files" not in reply

    actor = Actor(platform="discord", tenant=GUILD, user=learner)
    store = harness.adapter.engine.store
    assert isinstance(store, RedisLearnerStore)
    assert (await store.commit(actor, await store.load(actor), encode(passed_state(module)))).ok
    reply = await certificate(harness, learner)
    assert "in your DM" in str(reply)
    (sent,) = [m for m in harness.api.in_channel(harness.api.dm_of(learner)) if m.get("files")]
    (png_name, png), (pdf_name, pdf) = sent["files"]
    assert png_name == "certificate-2026-11-30.png" and pdf_name.endswith(".pdf")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1754, 1240)
    code = image.text["Verification code"]  # type: ignore[attr-defined]
    assert code in sent["content"] and pdf.startswith(b"%PDF")

    settings = Settings(_env_file=None, certificate_secret=SECRET)  # type: ignore[call-arg]
    capsys.readouterr()
    assert run_verify(code, settings) == 0
    out = capsys.readouterr().out
    assert "valid certificate" in out and "name: u041" in out and "date: 2026-11-30" in out
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert run_verify(forged, settings) == 1
    assert "not a valid certificate" in capsys.readouterr().out


async def test_with_dms_closed_the_certificate_comes_on_the_reply(harness: DiscordHarness, module) -> None:
    learner = "530000000000000042"
    actor = Actor(platform="discord", tenant=GUILD, user=learner)
    store = harness.adapter.engine.store
    assert (await store.commit(actor, None, encode(passed_state(module)))).ok
    harness.api.blocked.add(learner)
    reply = await certificate(harness, learner)
    names = [name for name, _ in reply.get("files", [])]
    assert names == ["certificate-2026-11-30.png", "certificate-2026-11-30.pdf"]
    assert "Verification code" in reply["content"]


async def test_share_my_pass_on_discord_posts_once_in_the_cohort_channel(
    harness: DiscordHarness, module
) -> None:
    shout = "700000000000000066"
    await cohort_with_pass_role(harness, L1)
    harness.api.channels[shout] = {"guild_id": GUILD, "permission_overwrites": []}
    await harness.cohort(BOSS, "channel", name="spring", channel_id=shout, permissions=MANAGE_GUILD)
    actor = Actor(platform="discord", tenant=GUILD, user=L1)
    store = harness.adapter.engine.store
    assert (await store.commit(actor, await store.load(actor), encode(passed_state(module)))).ok
    await certificate(harness, L1)
    assert harness.api.in_channel(shout) == [], "nothing is posted without the press"
    (sent,) = [m for m in harness.api.in_channel(harness.api.dm_of(L1)) if m.get("files")]
    (button,) = [b for row in sent["components"] for b in row["components"]]
    assert button["label"] == "Share my pass"

    answers = []
    for _ in range(2):
        press = click_payload(L1, {k: v for k, v in sent.items() if k != "files"}, button["custom_id"])
        await harness.interaction(press)
        answers.append(str(harness.api.messages[f"{press['token']}:@original"]))
    (posted,) = harness.api.in_channel(shout)
    assert f"<@{L1}>" in posted["content"] and module.title in posted["content"]
    assert f"Shared in <#{shout}>" in answers[0] and "already shared" in answers[1]
