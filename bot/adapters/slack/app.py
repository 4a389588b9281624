"""The Slack app: Bolt listeners that validate, translate, ack, and hand the work on.

Every listener does the same four things, all within Slack's 3 seconds:

1. validate the payload with the edge models (`models.py`);
2. translate it to a neutral event (`translate.py`);
3. ack;
4. submit the engine call to the `Worker`, which runs it after the ack.

The app runs with `process_before_response=True`: Bolt then awaits the listener before it
answers Slack, so the ack really is the last thing the listener does in the request, and the
slow part is a task the worker owns (and drains on shutdown) rather than one Bolt would start
and forget.

Events API retries: Slack re-sends an event it thinks was missed, with `X-Slack-Retry-Num`,
possibly to another process. Each `event_id` is claimed in Redis (`EventDeduper`) before it
is handled, so the event is handled once whichever process sees it first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from redis.asyncio import Redis, RedisCluster
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.cards import CardMemory
from bot.adapters.cohort_desk import CohortDesk
from bot.adapters.delivery import EventOutbox
from bot.adapters.intake import Intake
from bot.adapters.platform import Pressed, Refused, note
from bot.adapters.slack import home, translate
from bot.adapters.slack.budget import SlackBudget
from bot.adapters.slack.cohort import SlackCohorts, SlackDirectory, display_name_of, workspace_admins
from bot.adapters.slack.installations import RedisInstallationStore, RedisOAuthStateStore
from bot.adapters.slack.models import AppHomeOpenedEvent, BlockActionsPayload, MessageEvent, SlashCommandForm
from bot.adapters.slack.outbox import EDIT_INTERVAL_S, Origin, SlackOutbox
from bot.adapters.slack.sharing import SlackPassSharing
from bot.adapters.slack.tenancy import flag, tenant_of
from bot.adapters.slack.tokens import InstalledTokens, SingleToken, TokenSource
from bot.adapters.slack.zones import SlackZones
from bot.adapters.work import Worker
from bot.credentials.desk import WORD as CERTIFICATE_WORD
from bot.credentials.desk import CertificateDesk
from bot.credentials.sharing import PassSharing
from bot.domain.events import Actor, Command
from bot.domain.messages import DraftPlace, Message, ReplyProgress
from bot.engine.engine import Engine
from bot.nudges.controls import NudgeControls
from bot.nudges.record import NudgeRecords
from bot.nudges.zones import ZoneCache
from bot.render.slack import SlackMessage
from bot.settings import Settings
from bot.storage.dedupe import EventDeduper
from bot.storage.keys import KeyBuilder
from bot.storage.token_cipher import TokenCipher

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
COMMAND = re.compile(r"^/tutor(-[a-z0-9]+)?$")
"""`/tutor`, and suffixed variants (`/tutor-dev`) for a second app in the same workspace."""
RATE_LIMIT_RETRIES = 3
EVENT_DEDUPE_TTL_S = 3600  # Slack retries within minutes; an hour leaves a wide margin

UNKNOWN_BUTTON = (
    "Sorry, I don't recognise that button, so it did nothing. Type `resume` in our DM to see where you are."
)
UNREADABLE_COMMAND = "Sorry, I couldn't read that command. Try `/tutor help`."
FOREIGN_WORKSPACE = "Sorry, this tutorbot serves another workspace, so it did nothing here."

BOT_SCOPES = (
    "chat:write",
    "im:write",
    "im:history",
    "commands",
    "users:read",
    "files:write",
    "channels:read",
    "groups:read",
)
"""What the OAuth install asks for; the same list as `slack-app-manifest.yaml`."""


def web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: Slack's URL unless `SLACK_API_URL` says otherwise, and retries on
    429 (honouring Retry-After) and on dropped connections, which the async client does not do
    unless asked."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url or SLACK_API_URL,
        retry_handlers=retry_handlers(),
    )


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
    ]


@dataclass
class SlackAdapter:
    """The parts of the running Slack app, for the runner and for tests."""

    app: AsyncApp
    outbox: SlackOutbox
    worker: Worker
    engine: Engine
    installations: RedisInstallationStore | None = None
    """The installation store in OAuth mode (None with a single SLACK_BOT_TOKEN)."""
    zones: SlackZones | None = None
    """Learners' own time zones (`users.info`), for nudges' quiet hours and weekends."""


def oauth_mode(settings: Settings) -> bool:
    """Installed into many workspaces through OAuth: client id and secret set, no bot token."""
    return bool(settings.slack_client_id and settings.slack_client_secret and not settings.slack_bot_token)


def build_slack_adapter(
    settings: Settings,
    engine: Engine,
    redis: Redis | RedisCluster,
    *,
    worker: Worker | None = None,
    edit_interval_s: float = EDIT_INTERVAL_S,
    budget: SlackBudget | None = None,
) -> SlackAdapter:
    """The Bolt app with its listeners. Web API calls keep each workspace's rate budget (`budget`,
    by default Slack's tiers, shared in Redis by every process). In OAuth mode (`oauth_mode`) it serves the install flow
    and takes each workspace's token from the installation store; `TokenKeyError` if
    TOKEN_ENCRYPTION_KEY is missing or malformed. Otherwise it serves SLACK_BOT_TOKEN's workspace
    and refuses requests from any other."""
    keys = KeyBuilder(settings.key_prefix)
    client = web_client(settings)
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    installations: RedisInstallationStore | None = None
    tokens: TokenSource
    if oauth_mode(settings):
        installations = RedisInstallationStore(redis, keys, _cipher(settings))
        app, tokens = _oauth_app(settings, client, signing_secret, installations, redis, keys)
    else:
        # Socket Mode requests are not signed and Bolt skips the check for them; over HTTP a
        # missing secret means every request fails verification (401), never that none is checked.
        app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=True,
            name="tutorbot",
            logger=_bolt_logger(),
        )
        app.use(_only_home_workspace)
        tokens = SingleToken(client.token)
    outbox = SlackOutbox(
        client,
        CardMemory(redis, keys),
        edit_interval_s=edit_interval_s,
        webhook_retry_handlers=retry_handlers(),
        tokens=tokens,
        budget=budget if budget is not None else SlackBudget(redis, keys),
    )
    zones = SlackZones(ZoneCache(redis, keys), outbox)
    adapter = SlackAdapter(app, outbox, worker or Worker(), engine, installations, zones)
    intake = Intake(
        "slack",
        engine,
        adapter.worker,
        EventDeduper(redis, keys, EVENT_DEDUPE_TTL_S),
        NudgeControls(NudgeRecords(redis, keys), engine.clock, engine.reads_text),
    )
    desk = CohortDesk.build(
        engine=engine,
        redis=redis,
        keys=keys,
        outbox=outbox,
        directory=SlackDirectory(client, tokens),
        admins=workspace_admins(client, tokens),
        zone_of={"slack": zones},
    )
    SlackCohorts(desk, outbox, intake).register(app)  # before the catch-all button listener
    certificates = CertificateDesk.of(engine.store, engine.course.module, settings)
    sharing = SlackPassSharing(PassSharing(redis, keys, engine.store, engine.module), outbox, intake)
    sharing.register(app)  # before the catch-all button listener
    _Listeners(adapter, intake, certificates, sharing).register()
    return adapter


def _cipher(settings: Settings) -> TokenCipher:
    key = settings.token_encryption_key.get_secret_value() if settings.token_encryption_key else ""
    return TokenCipher(key)


def _oauth_app(
    settings: Settings,
    client: AsyncWebClient,
    signing_secret: str,
    installations: RedisInstallationStore,
    redis: Redis | RedisCluster,
    keys: KeyBuilder,
) -> tuple[AsyncApp, TokenSource]:
    assert settings.slack_client_id and settings.slack_client_secret
    client_id = settings.slack_client_id
    client_secret = settings.slack_client_secret.get_secret_value()
    minutes = settings.slack_token_rotation_minutes
    logger = _bolt_logger()
    oauth_settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        installation_store=installations,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=minutes,
        state_store=RedisOAuthStateStore(redis, keys),
        logger=logger,
    )
    # Bolt's default authorize would refresh rotating tokens through a client of its own, at
    # slack.com whatever SLACK_API_URL says; this one uses ours. The cache skips an auth.test
    # per request; a deleted installation is still refused, since the store is read first.
    authorize = AsyncInstallationStoreAuthorize(
        logger=logger,
        installation_store=installations,
        client_id=client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=minutes,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
    oauth_settings.authorize = authorize
    flow = AsyncOAuthFlow(client=client, logger=logger, settings=oauth_settings)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        name="tutorbot",
        logger=logger,
        oauth_flow=flow,
        authorize=authorize,  # type: ignore[arg-type]  # Bolt accepts an AsyncAuthorize here (isinstance check); its hint names only callables
        installation_store_bot_only=True,
    )
    rotator = AsyncTokenRotator(client_id=client_id, client_secret=client_secret, client=client)
    return app, InstalledTokens(installations, rotator, minutes)


async def _only_home_workspace(
    context: AsyncBoltContext, body: Mapping[str, Any], next: Callable[[], Awaitable[None]]
) -> BoltResponse | None:
    """Single-workspace mode: the token serves one workspace (or one Grid org). A request from
    any other (a second install of the same app, a Slack Connect channel) is refused and logged
    rather than answered with the wrong workspace's token."""
    result = context.authorize_result
    if result is None:
        await next()
        return None
    home_team, home_org = result.team_id, result.enterprise_id
    team, org = context.team_id, context.enterprise_id
    ours = (team is not None and team == home_team) or (
        home_team is None and home_org is not None and org == home_org
    )
    if ours or (team is None and org is None):
        await next()
        return None
    tenant = tenant_of(org, team, flag(context.is_enterprise_install))
    log.warning(
        "slack: request from workspace %s refused: SLACK_BOT_TOKEN serves %s only",
        tenant,
        home_team or home_org,
    )
    return BoltResponse(status=200, body=FOREIGN_WORKSPACE if body.get("command") else "")


def _bolt_logger() -> logging.Logger:
    """Bolt's logger, minus one misleading line: Bolt reads SLACK_BOT_TOKEN from the environment
    itself and then warns that it is unused because a client was given; the client holds it."""
    bolt = logging.getLogger("tutorbot.slack.bolt")
    if not any(isinstance(f, _DropTokenSkippedWarning) for f in bolt.filters):
        bolt.addFilter(_DropTokenSkippedWarning())
    return bolt


class _DropTokenSkippedWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class _Listeners:
    def __init__(
        self, adapter: SlackAdapter, intake: Intake, certificates: CertificateDesk, sharing: SlackPassSharing
    ) -> None:
        self.adapter = adapter
        self.sharing = sharing
        self.certificates = certificates
        self.outbox = adapter.outbox
        self.engine = adapter.engine
        self.intake = intake

    def register(self) -> None:
        app = self.adapter.app
        app.command(COMMAND)(self.on_command)
        app.action(re.compile(".*"))(self.on_action)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        if self.adapter.installations is not None:
            app.event("app_uninstalled")(self.on_uninstalled)
            app.event("tokens_revoked")(self.on_tokens_revoked)

    # ---- listeners: quick, and ack before returning ------------------------------------------

    async def on_command(self, ack: Callable[..., Awaitable[Any]], body: Mapping[str, Any]) -> None:
        form = translate.parse_slash(body)
        if form is None:
            await ack(text=UNREADABLE_COMMAND)
            return
        if form.text.split()[:1] == [CERTIFICATE_WORD]:
            await ack()
            actor = translate.actor_for(form.tenant, form.user_id)
            self.intake.submit(actor, "command certificate", lambda: self._certificate(form, actor))
            return
        command = translate.slash_command(form)
        await ack()
        self.intake.submit(command.actor, f"command {command.name}", lambda: self._command(form, command))

    async def on_action(self, ack: Callable[..., Awaitable[Any]], body: Mapping[str, Any]) -> None:
        await ack()
        payload = translate.parse_block_actions(body)
        click = translate.click(payload) if payload is not None else None
        if payload is None or click is None:
            log.warning("slack: unreadable button payload dropped")
            return
        self.intake.submit(click.actor, "click", lambda: self._click(payload, click))

    async def on_message(self, body: Mapping[str, Any]) -> None:
        parsed = translate.parse_event(body, MessageEvent)
        if parsed is None:
            return
        envelope, event = parsed
        text = translate.dm_text(envelope, event)
        if text is None:
            return

        async def handle() -> None:
            # Claimed after the ack: Slack's 3 seconds must not wait on Redis.
            if await self.intake.first_time(envelope.tenant, envelope.event_id):
                self.outbox.remember_dm(text.actor, event.channel)
                await self.intake.handle(text, self.outbox.at(Origin(channel=event.channel, in_dm=True)))

        self.intake.submit(text.actor, "message", handle)

    async def on_home_opened(self, body: Mapping[str, Any]) -> None:
        parsed = translate.parse_event(body, AppHomeOpenedEvent)
        if parsed is None:
            return
        envelope, event = parsed
        if event.tab != "home":
            return
        actor = translate.actor_for(envelope.tenant, event.user)

        async def publish() -> None:
            if await self.intake.first_time(envelope.tenant, envelope.event_id):
                await self._publish_home(actor)

        self.intake.submit(actor, "home", publish)

    async def on_uninstalled(self, context: AsyncBoltContext) -> None:
        """The app was removed from a workspace or org: its installation and tokens go; its
        learners' progress stays (an operator removes it with `tutorbot forget-tenant`)."""
        tenant = tenant_of(context.enterprise_id, context.team_id, flag(context.is_enterprise_install))
        if tenant is not None and self.adapter.installations is not None:
            await self.adapter.installations.delete_tenant(tenant)

    async def on_tokens_revoked(self, body: Mapping[str, Any], context: AsyncBoltContext) -> None:
        store = self.adapter.installations
        tenant = tenant_of(context.enterprise_id, context.team_id, flag(context.is_enterprise_install))
        if tenant is None or store is None:
            return
        tokens = (body.get("event") or {}).get("tokens") or {}
        if tokens.get("bot"):
            await store.delete_tenant(tenant)  # without its bot token an installation serves nothing
            return
        for user_id in tokens.get("oauth") or []:
            if isinstance(user_id, str):
                await store.async_delete_installation(enterprise_id=None, team_id=tenant, user_id=user_id)

    # ---- the work, after the ack ---------------------------------------------------------

    async def _command(self, form: SlashCommandForm, command: Command) -> None:
        in_dm = form.channel_id == await self.outbox.dm_or_none(command.actor)
        origin = Origin(channel=form.channel_id, in_dm=in_dm, response_url=form.response_url, command=True)
        await self.intake.handle(command, self.outbox.at(origin))

    async def _certificate(self, form: SlashCommandForm, actor: Actor) -> None:
        """The learner's certificate (PNG and PDF) into their DM with the bot."""
        reply = self.outbox.at(Origin(channel=form.channel_id, response_url=form.response_url, command=True))
        try:
            token = await self.outbox.api.token(actor)
            name = await self._display_name(token, actor)
            got = await self.certificates.fetch(actor, name)
            if isinstance(got, str):
                await reply.send(actor, [note(got)])
                return
            dm = await self.outbox.dm_channel(actor)
            await self.outbox.client.files_upload_v2(
                token=token,
                channel=dm,
                file_uploads=[
                    {
                        "content": got.png,
                        "filename": CertificateDesk.file_name(got, "png"),
                        "title": "Certificate",
                    },
                    {
                        "content": got.pdf,
                        "filename": CertificateDesk.file_name(got, "pdf"),
                        "title": "Certificate (PDF)",
                    },
                ],
                initial_comment=f"Your certificate for {got.fields.module}. Verification code: {got.code}",
            )
            await self.sharing.offer(token, dm)
        except Exception as error:  # a Slack refusal or the network: say so; the pass is not lost
            log.warning("slack: certificate not sent to %s: %s", actor, type(error).__name__)
            await reply.send(
                actor, [note("I couldn't send your certificate to your DM just now; try again.")]
            )
        else:
            await reply.send(
                actor, [note(f"Your certificate is in your DM with me. Verification code: `{got.code}`")]
            )
        finally:
            await reply.close()

    async def _display_name(self, token: str, actor: Actor) -> str:
        """The name Slack shows for the learner (`users.info`); their id when Slack will not say."""
        try:
            user = (await self.outbox.client.users_info(token=token, user=actor.user)).get("user") or {}
        except (SlackApiError, ClientError, TimeoutError):
            return actor.user
        return display_name_of(user) or actor.user

    async def _click(self, payload: BlockActionsPayload, click: translate.Click) -> None:
        actor = click.actor
        channel = payload.channel_id
        if channel is not None and channel.startswith("D") and payload.container.type == "message":
            in_dm = channel == await self.outbox.dm_or_none(actor)
        else:
            in_dm = False
        if click.event is None:
            # Not one of our buttons (forged, or from a version of the bot that is gone).
            log.warning("slack: unknown button from %s ignored", actor)
            origin = Origin(channel=channel, in_dm=in_dm, response_url=payload.response_url)
            await self.outbox.at(origin).send(actor, [note(UNKNOWN_BUTTON)])
            return
        origin = Origin(
            channel=channel,
            in_dm=in_dm,
            response_url=payload.response_url,
            pressed=_pressed(channel, payload.container.message_ts, click.button_index),
        )
        await self.intake.handle(click.event, self.outbox.at(origin))
        if payload.container.type == "view":
            await self._publish_home(actor)  # pressed on the Home tab: show it up to date

    async def _publish_home(self, actor: Actor) -> None:
        # The Home tab, which anyone may open, only looks: it enrols no one.
        if await self.engine.known(actor):
            outbox = _HomeOutbox(self.outbox.at(Origin()))
            try:
                await self.engine.handle(Command(actor=actor, name="progress"), outbox)
            finally:
                await outbox.dm.close()
            view = home.home_view(outbox.shown)
        else:
            view = home.welcome_view()
        try:
            token = await self.outbox.api.token(actor)
            await self.outbox.api.within_budget(actor, "views.publish")
            await self.outbox.client.views_publish(token=token, user_id=actor.user, view=view)
        except Refused as error:
            log.warning("slack: home tab for %s not published: %s", actor, error.reason)
        except SlackApiError as error:
            log.warning("slack: home tab for %s not published: %s", actor, error.response.get("error"))


class _HomeOutbox:
    """Takes the learner's progress card from the engine's answer to `progress`, for the Home tab.

    On the way, the engine may finish a lab reply left pending by a stopped process; that (and
    anything else that is not the progress card) is the learner's conversation, so it goes to
    the DM.
    """

    def __init__(self, dm: EventOutbox[SlackMessage]) -> None:
        self.dm = dm
        self.cards: list[Message] = []
        self.held: list[Message] = []
        """Notices before the progress card: with no card after them (the course is unavailable),
        they are what the Home tab shows; otherwise they go to the DM."""

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        cards = [message for message in messages if message.progress_card]
        if cards and not self.cards:
            self.cards = cards
            held, self.held = self.held, []
            # A notice beside the progress card answers the look at the Home tab, not the DM.
            rest = held + [m for m in messages if not m.progress_card and not m.notice]
        elif not self.cards and all(message.notice for message in messages):
            self.held += messages
            return
        else:
            rest = [message for message in messages if not message.progress_card]
        if rest:
            await self.dm.send(actor, rest)

    @property
    def shown(self) -> list[Message]:
        return self.cards or self.held

    async def progress(self, actor: Actor, draft: ReplyProgress) -> DraftPlace | None:
        return await self.dm.progress(actor, draft)


def _pressed(channel: str | None, message_ts: str | None, index: int | None) -> Pressed | None:
    if channel is None or message_ts is None or index is None:
        return None
    return Pressed(channel, message_ts, index)
