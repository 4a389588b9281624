"""Share my pass on Slack: the button under the certificate in the learner's DM, and its press
(see `bot.credentials.sharing`). The shout-out goes to the cohort's channel with
`chat.postMessage`; the learner is answered privately through the press's `response_url`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import ClientError
from slack_bolt.async_app import AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.intake import Intake
from bot.adapters.slack import translate
from bot.adapters.slack.outbox import SlackOutbox
from bot.credentials.sharing import ACTION, LABEL, OFFER, PassSharing
from bot.domain.events import Actor
from bot.render.cohort_slack import mrkdwn

log = logging.getLogger(__name__)


class SlackPassSharing:
    def __init__(self, sharing: PassSharing, outbox: SlackOutbox, intake: Intake) -> None:
        self.sharing = sharing
        self.outbox = outbox
        self.intake = intake

    def register(self, app: AsyncApp) -> None:
        """Call before any catch-all action listener: Bolt runs the first listener that matches."""
        app.action(ACTION)(self.on_press)

    async def offer(self, token: str, channel: str) -> None:
        """The opt-in button, posted under the certificate in the DM `channel`."""
        await self.outbox.client.chat_postMessage(
            token=token,
            channel=channel,
            text=mrkdwn(OFFER),
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(OFFER)}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": ACTION,
                            "value": "share",
                            "text": {"type": "plain_text", "text": LABEL},
                        }
                    ],
                },
            ],
        )

    async def on_press(self, ack: Callable[..., Awaitable[Any]], body: Mapping[str, Any]) -> None:
        await ack()
        payload = translate.parse_block_actions(body)
        tenant = payload.tenant if payload is not None else None
        if payload is None or tenant is None or not payload.response_url:
            log.warning("slack: unreadable Share my pass press dropped")
            return
        actor = translate.actor_for(tenant, payload.user.id)
        response_url = payload.response_url
        self.intake.submit(actor, "share pass", lambda: self._share(actor, response_url))

    async def _share(self, actor: Actor, response_url: str) -> None:
        token = await self.outbox.api.token(actor)

        async def post(channel: str, text: str) -> None:
            await self.outbox.client.chat_postMessage(token=token, channel=channel, text=mrkdwn(text))

        line = await self.sharing.share(actor, post)
        try:
            await AsyncWebhookClient(response_url).send(
                text=mrkdwn(line), response_type="ephemeral", replace_original=False
            )
        except (TimeoutError, ClientError) as error:
            log.warning("slack: Share my pass answer not delivered to %s: %s", actor, type(error).__name__)
