"""The Discord client: `/tutor`, persistent buttons, DM and course-thread text; each validated,
translated, answered or deferred within Discord's 3 seconds, then handed to a `Worker`.

- `/tutor start|resume|progress|help|certificate` are subcommands of one *global* command (so they work in
  DMs), deferred ephemerally; the cards go to the learner's DM and the deferred reply says so.
  In the DM, the reply also says which server's course the DM is in (`dm_course`).
- Buttons: every engine button's custom_id matches `bot.render.actions.PATTERN`, served by
  one `DynamicItem` (`TutorButton`), so buttons keep working across restarts and processes.
  A press in the DM acts on the course its card was rendered for, never another server's.
  Any other component interaction (forged, or from a bot version that is gone) gets a polite
  ephemeral answer from `on_interaction` and changes nothing.
- DM text (no privileged intent needed for DMs) becomes `Text` for the DM's active course;
  text in a learner's private course thread (`closed_dms`) for that server's course.

Intents: `guilds` (discord.py's caches, server names), `dm_messages`, `guild_messages` (course
threads); none privileged. Interaction and message ids are claimed in Redis (`EventDeduper`)
first, so when shard ranges of two processes overlap during a redeploy an event is handled once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from discord.http import Route
from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

import discord
from bot.adapters.cards import CardMemory
from bot.adapters.cohort_desk import CohortDesk
from bot.adapters.commands import WORDS
from bot.adapters.discord import translate
from bot.adapters.discord.certificate import DiscordCertificates
from bot.adapters.discord.closed_dms import MENTION_NEEDED, ClosedDms, CourseThreads
from bot.adapters.discord.cohort import (
    BUTTON_PATTERN,
    DiscordCohorts,
    DiscordDirectory,
    cohort_button,
    cohort_group,
)
from bot.adapters.discord.dm_course import DM_TENANT, ActiveCourse, CardTenants, DmCourse
from bot.adapters.discord.models import INTERACTION_COMPONENT, DirectMessage, Interaction
from bot.adapters.discord.outbox import (
    CALLBACK_DEFER_MESSAGE,
    CALLBACK_DEFER_UPDATE,
    CALLBACK_MESSAGE,
    EDIT_INTERVAL_S,
    EPHEMERAL,
    NO_MENTIONS,
    DiscordApi,
    DiscordOutbox,
    Origin,
    Places,
)
from bot.adapters.discord.pass_role import PassRoles
from bot.adapters.discord.rest import rebase
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.discord.sharing import DiscordPassSharing
from bot.adapters.intake import Intake
from bot.adapters.platform import Pressed, Refused, note
from bot.adapters.work import Worker
from bot.cohorts.models import Tenant
from bot.cohorts.rights import PayloadAdmins
from bot.cohorts.store import CohortStore
from bot.credentials.desk import WORD as CERTIFICATE_WORD
from bot.credentials.desk import CertificateDesk
from bot.credentials.sharing import ACTION as SHARE_ACTION
from bot.credentials.sharing import PassSharing
from bot.domain.events import Actor, Command
from bot.engine.engine import Engine
from bot.nudges.controls import NudgeControls
from bot.nudges.record import NudgeRecords
from bot.render.actions import PATTERN
from bot.scheduler.runner import Handler
from bot.storage.dedupe import EventDeduper
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from discord import app_commands

log = logging.getLogger(__name__)

EVENT_DEDUPE_TTL_S = 3600
UNKNOWN_BUTTON = (
    "Sorry, I don't recognise that button, so it did nothing. Run `/tutor resume` to see where you are."
)
OLD_CARD = (
    "That card is too old for me to tell which server's course it belongs to, so it did nothing. "
    "Run `/tutor resume` in the server whose course you want."
)
UNREADABLE = "Sorry, I couldn't read that. Try `/tutor help`."
DM_COURSE = (
    "This DM is your course in **{server}**. To continue another server's course here, "
    "run `/tutor resume` in that server."
)
DESCRIPTIONS: dict[str, str] = {
    "start": "Start the course, or carry on where you are",
    "resume": "Show where you are (and try your DMs again)",
    "progress": "Your progress through the course",
    "help": "What the tutor can do",
    CERTIFICATE_WORD: "Your certificate, once you have passed the module test",
    "pause": "No reminders from the course until you /tutor resume",
}
_OURS = re.compile(PATTERN)
_COHORT = re.compile(BUTTON_PATTERN)


@dataclass
class DiscordAdapter:
    """The parts of the running Discord bot, for the runner and for tests."""

    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]
    outbox: DiscordOutbox
    worker: Worker
    engine: Engine
    handlers: Handlers
    timed_jobs: dict[str, Handler]
    """Scheduler jobs only a Discord process can run (the pass role's grant)."""


def tutor_button(handlers: Handlers) -> type[discord.ui.DynamicItem[discord.ui.Button[Any]]]:
    """The item for every engine button, whatever message it is on (its state is in the
    custom_id), answered by `handlers`."""

    class TutorButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PATTERN):
        def __init__(self, custom_id: str) -> None:
            super().__init__(discord.ui.Button(custom_id=custom_id))

        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
        ) -> TutorButton:
            return cls(match.group(0))

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            await handlers.on_click(interaction)

    return TutorButton


def build_discord_adapter(
    settings: DiscordSettings,
    engine: Engine,
    redis: Redis | RedisCluster,
    keys: KeyBuilder,
    *,
    worker: Worker | None = None,
    edit_interval_s: float = EDIT_INTERVAL_S,
    certificate_secret: str | None = None,
) -> DiscordAdapter:
    """`certificate_secret` is `CERTIFICATE_SECRET` (see `bot.credentials.codes`)."""
    intents = discord.Intents.none()
    intents.guilds = True  # discord.py's caches rely on it; it also gives servers' names
    intents.dm_messages = True  # DM text arrives without the privileged message-content intent
    intents.guild_messages = True  # course threads: text that mentions the bot
    options: dict[str, Any] = {"intents": intents, "allowed_mentions": discord.AllowedMentions.none()}
    if settings.sharded:
        if settings.discord_shard_ids is not None:
            options["shard_ids"] = settings.discord_shard_ids
        client: discord.Client = discord.AutoShardedClient(
            shard_count=settings.discord_shard_count, **options
        )
    else:
        client = discord.Client(**options)
    if settings.discord_api_url or settings.discord_gateway_url:
        rebase(client, settings.discord_api_url, settings.discord_gateway_url)
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    threads = CourseThreads(
        redis,
        keys,
        DiscordApi(client.http).request,
        settings.discord_course_channels,
        bot_id=lambda: str(client.user.id) if client.user is not None else None,
        cohort_channel=cohort_channel_of(CohortStore(redis, keys)),
    )
    places = Places(ClosedDms(redis, keys), threads, CardTenants(redis, keys))
    outbox = DiscordOutbox(
        client.http, CardMemory(redis, keys), edit_interval_s=edit_interval_s, places=places
    )
    intake = Intake(
        "discord",
        engine,
        worker or Worker(),
        EventDeduper(redis, keys, EVENT_DEDUPE_TTL_S),
        NudgeControls(NudgeRecords(redis, keys), engine.clock, engine.reads_text),
    )
    learners = engine.store
    assert isinstance(learners, RedisLearnerStore), "the pass-role sweep reads learners from Redis"
    roles = PassRoles(redis, keys, client.http, lambda: outbox.at(Origin()), learners, engine.clock)
    engine.pass_listeners.append(roles.on_pass)
    sharing = DiscordPassSharing(PassSharing(redis, keys, engine.store, engine.module), outbox.api)
    certificates = DiscordCertificates(
        CertificateDesk(engine.store, engine.module, certificate_secret), outbox.api, roles, sharing
    )
    handlers = Handlers(outbox, intake, DmCourse(redis, keys), places, client, certificates)
    adapter = DiscordAdapter(client, tree, outbox, intake.worker, engine, handlers, roles.timed_jobs())
    tree.add_command(tutor_group(handlers))
    client.add_dynamic_items(tutor_button(handlers))
    desk = CohortDesk.build(
        engine=engine,
        redis=redis,
        keys=keys,
        outbox=outbox,
        directory=DiscordDirectory(
            client.http, bot_id=lambda: str(client.user.id) if client.user is not None else None
        ),
        admins=PayloadAdmins(),  # Manage Server, as Discord computed it for the interaction
    )
    cohorts = DiscordCohorts(desk, outbox, intake)
    tree.add_command(cohort_group(cohorts))
    client.add_dynamic_items(cohort_button(cohorts))

    async def on_interaction(interaction: discord.Interaction[Any]) -> None:
        if interaction.type == discord.InteractionType.modal_submit:
            await cohorts.on_modal(interaction)  # no View holds these: any process may get them
            return
        await handlers.on_other_interaction(interaction)

    async def on_message(message: discord.Message) -> None:
        await handlers.on_message(message)

    client.event(on_interaction)
    client.event(on_message)
    return adapter


def cohort_channel_of(cohorts: CohortStore) -> Callable[[Actor], Awaitable[str | None]]:
    """The channel of a learner's cohort, for their private course thread."""

    async def channel_of(actor: Actor) -> str | None:
        cohort = await cohorts.of_learner(Tenant(platform="discord", tenant=actor.tenant), actor.user)
        return cohort.channel if cohort is not None else None

    return channel_of


def tutor_group(handlers: Handlers) -> app_commands.Group:
    """`/tutor` with one subcommand per word, each with its description; global, so it works
    in DMs as well as in servers."""
    group = app_commands.Group(
        name=translate.COMMAND_NAME,
        description="Take the course",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )
    for word in (*WORDS, CERTIFICATE_WORD):

        async def run(interaction: discord.Interaction[Any]) -> None:
            # The subcommand is read again from the raw payload by `translate`, which validates it.
            await handlers.on_command(interaction)

        group.add_command(app_commands.Command(name=word, description=DESCRIPTIONS[word], callback=run))
    return group


def commands_digest(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None = None) -> str:
    commands = tree.get_commands(guild=guild)
    definitions = sorted((command.to_dict(tree) for command in commands), key=lambda c: c["name"])
    return hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest()


async def sync_commands_if_changed(
    tree: app_commands.CommandTree[Any],
    redis: Redis | RedisCluster,
    keys: KeyBuilder,
    dev_guild: int | None = None,
) -> bool:
    """Upload the commands only when their definitions changed since this application's last
    upload (Discord allows 200 command creates a day). Globally by default; with `dev_guild`,
    to that one server, where they appear at once (development). True if they were uploaded."""
    guild = discord.Object(id=dev_guild) if dev_guild is not None else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    application = str(tree.client.application_id or "")
    key = keys.registered_commands("discord", application, str(dev_guild or ""))
    digest = commands_digest(tree, guild)
    try:
        stored = await redis.get(key)
    except RedisError:
        stored = None
    if isinstance(stored, bytes) and stored.decode() == digest:
        return False
    await tree.sync(guild=guild)
    try:
        await redis.set(key, digest.encode())
    except RedisError:
        log.warning("discord: commands synced but their digest was not stored")
    return True


def edge_payload(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    """The parts of an interaction the adapter reads, in INTERACTION_CREATE shape, for `translate`."""
    message = interaction.message
    return {
        "id": interaction.id,
        "application_id": interaction.application_id,
        "type": interaction.type.value,
        "token": interaction.token,
        "guild_id": interaction.guild_id,
        "channel_id": interaction.channel_id,
        "user": {"id": interaction.user.id, "bot": interaction.user.bot},
        "data": dict(interaction.data or {}),
        # A clicked message is in the interaction's channel (discord.py may not have the channel cached).
        "message": {"id": message.id, "channel_id": interaction.channel_id} if message is not None else None,
    }


class Handlers:
    def __init__(
        self,
        outbox: DiscordOutbox,
        intake: Intake,
        dm: DmCourse,
        places: Places,
        client: discord.Client,
        certificates: DiscordCertificates,
    ) -> None:
        self.certificates = certificates
        self.outbox = outbox
        self.intake = intake
        self.dm = dm
        self.places = places
        self.client = client

    # ---- handlers: answer or defer within 3 s, then submit the work ------------------------

    async def on_command(self, interaction: discord.Interaction[Any]) -> None:
        payload = await self._read(interaction, UNREADABLE)
        if payload is None:
            return
        in_dm = payload.guild_id is None
        active = await self.dm.get(payload.user.id) if in_dm else ActiveCourse(payload.guild_id or DM_TENANT)
        if translate.subcommand(payload) == CERTIFICATE_WORD:
            await self._certificate(interaction, payload, active.tenant)
            return
        command = translate.command(payload, active.tenant)
        if command is None:
            await self._say(interaction, UNREADABLE)
            return
        origin = await self._defer_privately(interaction, payload)
        if not in_dm:
            # The DM now continues this server's course.
            await self.dm.set(payload.user.id, ActiveCourse(active.tenant, self._server_name(active.tenant)))
            if command.name == "resume":
                await self.places.closed.retry(payload.user.id)  # try the DM again
        said = (
            DM_COURSE.format(server=active.server_name or "a server") if in_dm and active.in_server else None
        )
        self.intake.submit(
            command.actor, f"command {command.name}", lambda: self._command(origin, command, said)
        )

    async def _certificate(
        self, interaction: discord.Interaction[Any], payload: Interaction, tenant: str
    ) -> None:
        origin = await self._defer_privately(interaction, payload)
        actor = translate.actor_for(payload.guild_id, payload.user.id, tenant)
        name = interaction.user.display_name  # the server nickname where there is one
        self.intake.submit(actor, "command certificate", lambda: self.certificates.send(actor, name, origin))

    async def on_click(self, interaction: discord.Interaction[Any]) -> None:
        pressed = await self._pressed_card(interaction)
        if pressed is None:
            return
        payload, tenant = pressed
        click = translate.click(payload, tenant)
        if click is None or click.event is None:
            log.warning(
                "discord: unknown button from discord:%s:%s ignored",
                payload.guild_id or "dm",
                payload.user.id,
            )
            await self._say(interaction, UNKNOWN_BUTTON)
            return
        await self._respond(interaction, {"type": CALLBACK_DEFER_UPDATE})  # the answer follows
        if payload.guild_id is None and tenant != (await self.dm.get(payload.user.id)).tenant:
            # Pressing a card of another server's course makes it the DM's active one.
            await self.dm.set(payload.user.id, ActiveCourse(tenant, self._server_name(tenant)))
        event = click.event
        origin = Origin(
            application_id=payload.application_id,
            token=payload.token,
            in_dm=payload.guild_id is None,
            pressed=_pressed(payload, click.button_index),
        )
        self.intake.submit(click.actor, "click", lambda: self.intake.handle(event, self.outbox.at(origin)))

    async def on_other_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Component interactions that `TutorButton` does not take: not ours, say so politely."""
        if interaction.type.value != INTERACTION_COMPONENT or not self.intake.accepting:
            return
        custom_id = cast(dict[str, Any], interaction.data or {}).get("custom_id")
        if isinstance(custom_id, str) and (_OURS.fullmatch(custom_id) or _COHORT.fullmatch(custom_id)):
            return  # TutorButton or CohortButton handles it
        if custom_id == SHARE_ACTION:
            await self._share(interaction)
            return
        log.warning("discord: unknown component from user %s ignored", interaction.user.id)
        await self._say(interaction, UNKNOWN_BUTTON)

    async def _share(self, interaction: discord.Interaction[Any]) -> None:
        """Share my pass, pressed on a certificate message (in the DM, or on a private reply)."""
        pressed = await self._pressed_card(interaction)
        if pressed is None:
            return
        payload, tenant = pressed
        origin = await self._defer_privately(interaction, payload)
        actor = translate.actor_for(tenant, payload.user.id)
        self.intake.submit(actor, "share pass", lambda: self.certificates.sharing.press(actor, origin))

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not self.intake.accepting:
            return
        # Only threads can be course threads: ones in discord.py's cache, or a channel it does
        # not know (a thread made by another process); messages in server channels are skipped
        # before any Redis call.
        in_thread = isinstance(message.channel, discord.Thread | discord.PartialMessageable)
        if message.guild is not None and not in_thread:
            return
        raw = {
            "id": message.id,
            "channel_id": message.channel.id,
            "guild_id": message.guild.id if message.guild is not None else None,
            "author": {"id": message.author.id, "bot": message.author.bot},
            "content": message.content,
            "type": message.type.value,
            "webhook_id": message.webhook_id,
        }
        parsed = translate.parse_message(raw)
        if parsed is None:
            return
        if parsed.guild_id is not None:
            await self._thread_message(parsed)
            return
        if not await self.intake.first_time("message", parsed.id):
            return
        text = translate.dm_text(parsed, (await self.dm.get(parsed.author.id)).tenant)
        if text is None:
            return
        self.outbox.remember_dm(text.actor, parsed.channel_id)
        self.intake.submit(text.actor, "message", lambda: self.intake.handle(text, self.outbox.at(Origin())))

    async def _thread_message(self, parsed: DirectMessage) -> None:
        """Text in a learner's private course thread (their DMs are closed)."""
        assert parsed.guild_id is not None
        learner = await self.places.threads.learner_of(parsed.guild_id, parsed.channel_id)
        if learner is None or learner != parsed.author.id:
            return  # not a course thread, or someone else (a moderator) writing in it
        if not await self.intake.first_time("message", parsed.id):
            return
        bot_id = str(self.client.user.id) if self.client.user else ""
        text = translate.thread_text(parsed, learner, bot_id)
        if text is None:
            hint = MENTION_NEEDED.format(bot=f"<@{bot_id}>")
            try:
                await self.outbox.api.request(
                    Route("POST", "/channels/{channel_id}/messages", channel_id=parsed.channel_id),
                    {"content": hint, "allowed_mentions": NO_MENTIONS},
                )
            except Refused as error:
                log.warning("discord: no word on mentions in a course thread: %s", error.reason)
            return
        self.intake.submit(text.actor, "message", lambda: self.intake.handle(text, self.outbox.at(Origin())))

    async def _pressed_card(self, interaction: discord.Interaction[Any]) -> tuple[Interaction, str] | None:
        """A button press read, with the tenant its card was rendered for; None once answered
        (unreadable, or a DM card too old to know its server)."""
        payload = await self._read(interaction, UNKNOWN_BUTTON)
        if payload is None:
            return None
        tenant = payload.guild_id or await self._card_tenant(payload)
        if tenant is None:
            await self._say(interaction, OLD_CARD)
            return None
        return payload, tenant

    async def _card_tenant(self, payload: Interaction) -> str | None:
        """The tenant a card pressed in the DM was rendered for (see `dm_course`)."""
        if payload.message is None:
            return None
        return await self.places.card_tenants.tenant_of(payload.user.id, payload.message.id)

    def _server_name(self, tenant: str) -> str | None:
        guild = self.client.get_guild(int(tenant)) if tenant.isdigit() else None
        return guild.name if guild is not None else None

    async def _read(self, interaction: discord.Interaction[Any], unreadable: str) -> Interaction | None:
        """The validated payload, or None when there is nothing to do: the bot is stopping, a
        duplicate, or a payload that does not validate (then the learner is told)."""
        if not self.intake.accepting:
            return None
        payload = translate.parse_interaction(edge_payload(interaction))
        if payload is None:
            await self._say(interaction, unreadable)
            return None
        if not await self.intake.first_time("interaction", payload.id):
            return None
        return payload

    async def _say(self, interaction: discord.Interaction[Any], text: str) -> None:
        """Answer the interaction with a line only the learner sees."""
        data = {"content": text, "flags": EPHEMERAL, "allowed_mentions": NO_MENTIONS}
        await self._respond(interaction, {"type": CALLBACK_MESSAGE, "data": data})

    async def _defer_privately(self, interaction: discord.Interaction[Any], payload: Interaction) -> Origin:
        """Answer "thinking…" that only the learner sees; the work that follows completes that
        answer through the origin returned (the interaction's `@original`)."""
        await self._respond(interaction, {"type": CALLBACK_DEFER_MESSAGE, "data": {"flags": EPHEMERAL}})
        return Origin(
            application_id=payload.application_id,
            token=payload.token,
            original_pending=True,
            in_dm=payload.guild_id is None,
        )

    async def _respond(self, interaction: discord.Interaction[Any], body: dict[str, Any]) -> None:
        # Through the outbox's REST client, which knows DISCORD_API_URL (see `rest.py`).
        try:
            await self.outbox.api.respond(str(interaction.id), interaction.token, body)
        except Refused as error:
            log.warning("discord: interaction not answered: %s", error.reason)

    # ---- the work, after the response ---------------------------------------------------------

    async def _command(self, origin: Origin, command: Command, said: str | None) -> None:
        outbox = self.outbox.at(origin)
        if said is not None:
            await outbox.send(command.actor, [note(said)])  # which server's course, only to them
        await self.intake.handle(command, outbox)


def _pressed(payload: Interaction, index: int | None) -> Pressed | None:
    message = payload.message
    # A clicked message is in the interaction's channel when the payload does not say otherwise.
    channel = (message.channel_id if message else None) or payload.channel_id
    if message is None or channel is None or index is None:
        return None
    return Pressed(channel, message.id, index)


__all__ = ["DiscordAdapter", "build_discord_adapter", "sync_commands_if_changed", "tutor_button"]
