"""`/tutor certificate` on Slack: the PNG and PDF into the learner's DM, named from `users.info`."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from bot.credentials.codes import CertificateFields, verify
from bot.domain.codec import encode
from bot.domain.events import Actor
from tests.credentials.passes import SECRET, passed_state
from tests.slack.harness import SlackHarness


def answers(slack_api) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(call.body) for call in slack_api.of("response_url"))


async def test_a_passed_learner_gets_the_certificate_in_their_dm(make_slack, slack_api, module, store):
    slack: SlackHarness = make_slack(certificate_secret=SECRET)
    slack_api.users["U002"] = {"profile": {"display_name": "Bea Example", "real_name": "B"}}
    await slack.command("U002", "certificate")
    assert "not passed it yet" in answers(slack_api)
    assert slack_api.uploads == []

    actor = Actor(platform="slack", tenant="T1", user="U002")
    stored = await store.load(actor)
    assert (await store.commit(actor, stored, encode(passed_state(module)))).ok
    await slack.command("U002", "certificate")
    png, pdf = sorted(slack_api.uploads, key=lambda f: f.filename.endswith(".pdf"))
    assert png.channel == pdf.channel == slack.dm_channel("U002")
    image = Image.open(io.BytesIO(png.content))
    assert image.size == (1754, 1240)
    code = image.text["Verification code"]  # type: ignore[attr-defined]
    assert verify(code, SECRET) == CertificateFields("Bea Example", module.title, date(2026, 11, 30))
    assert code in png.initial_comment
    assert pdf.content.startswith(b"%PDF")
    assert "in your DM" in answers(slack_api)


async def test_without_a_secret_the_learner_is_told_and_nothing_is_sent(make_slack, slack_api, module, store):
    slack: SlackHarness = make_slack()
    actor = Actor(platform="slack", tenant="T1", user="U003")
    assert (await store.commit(actor, None, encode(passed_state(module)))).ok
    await slack.command("U003", "certificate")
    assert "Certificates need CERTIFICATE_SECRET" in answers(slack_api)
    assert slack_api.uploads == []
