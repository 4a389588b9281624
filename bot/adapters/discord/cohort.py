"""`/cohort` on Discord: an app-command group for facilitators, and its answer buttons.

The group is registered with `default_member_permissions` (Manage Server) so the client shows
it to managers only, but that hides nothing from a crafted request: rights are checked by the
shared `CohortDesk` at every action. The handlers only read the payload: the subcommand and
its options become the same words `/cohort` takes on Slack (`unlock spring <@123>`), so every
platform goes through one parser; the caller's Manage Server permission and roles come from
the interaction, as Discord computed them. Answers are ephemeral (the deferred reply is
edited, a page button edits the answer it is on); exported files go to the facilitator's DM
as attachments.

`DiscordDirectory` is Discord's part of the cohort directory. Listing a server's members
(for a role, or for who can see a channel) needs the Server Members intent, switched on in the
Developer Portal; where it is off Discord answers 403 and the facilitator is told so, with
enrolling by @user as the way that works anyway.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from discord.http import Route, handle_message_parameters

import discord
from bot.adapters.cohort_desk import CohortDesk
from bot.adapters.discord import permissions
from bot.adapters.discord.outbox import (
    CALLBACK_DEFER_MESSAGE,
    CALLBACK_DEFER_UPDATE,
    CALLBACK_MESSAGE,
    EPHEMERAL,
    DiscordOutbox,
    Origin,
)
from bot.adapters.intake import Intake
from bot.adapters.platform import Refused
from bot.cohorts.answers import Answer, ChannelPost
from bot.cohorts.answers import channel as mention_channel
from bot.cohorts.answers import role as mention_role
from bot.cohorts.commands import CHART_KINDS
from bot.cohorts.directory import Concern, DirectoryRefusal
from bot.cohorts.models import Tenant
from bot.cohorts.policy import KEYS as POLICY_KEYS
from bot.cohorts.rights import Caller
from bot.render.cohort_discord import (
    CUSTOM_ID_PREFIX,
    MODAL,
    form_input,
    parse_custom_id,
    render_answer_discord,
    render_form_discord,
)
from discord import app_commands

log = logging.getLogger(__name__)

# Option types of the subcommands, at module level: discord.py reads the annotations here.
Name = str | None
"""The cohort's name, optional: it may be left out when the server has one cohort."""
User = discord.User | None
Count = app_commands.Range[int, 1, 100]

GROUP = "cohort"
BUTTON_PATTERN = re.escape(CUSTOM_ID_PREFIX) + r"(?P<action>[a-z]{1,16}):(?P<value>[A-Za-z0-9:._-]{1,85})"
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
MEMBERS_PAGE = 1000
PROFILE_LOOKUPS = 50
"""Without the member list, at most this many names are read one profile at a time."""
MISSING_ACCESS = 50001
NO_MEMBERS_INTENT = (
    "Enrolling by role or channel needs the Server Members intent, which is off for this bot: "
    "turn it on in the Developer Portal (Bot → Privileged Gateway Intents), or enrol people by @user."
)
UNREADABLE = "Sorry, I couldn't read that. Try `/cohort help`."
GUILD_ONLY = "Cohorts belong to a server: use `/cohort` there."
REPLACING = ("page", "nudge")
"""Buttons whose answer replaces the one they are on."""
UNGRANTABLE = (
    "{role} is managed by Discord or an integration (a bot's own role, a booster role, @everyone): "
    "nobody can give it to a member. Pick another role."
)
CANNOT_GRANT = (
    "Set, but Discord would refuse it now: {problems}. Give my role Manage Roles and drag it above "
    "{role} in Server Settings → Roles; a learner who passes before then gets the role when they run "
    "`/tutor certificate` after the fix."
)
CANNOT_POST = (
    "Set, but in {channel} I lack {missing}: shout-outs and private course threads there fail until "
    "my role is allowed them (the channel's settings → Permissions)."
)


class DiscordDirectory:
    def __init__(
        self, http: discord.http.HTTPClient, bot_id: Callable[[], str | None] = lambda: None
    ) -> None:
        self.http = http
        self.bot_id = bot_id
        """The bot's own user id once logged in (its member object carries its roles)."""

    async def _members(self, guild: str) -> list[dict[str, Any]]:
        members: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            try:
                page = cast(list[dict[str, Any]], await self.http.get_members(guild, MEMBERS_PAGE, after))
            except discord.Forbidden as error:
                if error.code == MISSING_ACCESS or error.status == 403:
                    raise DirectoryRefusal(NO_MEMBERS_INTENT) from None
                raise
            members += [m for m in page if not (m.get("user") or {}).get("bot")]
            if len(page) < MEMBERS_PAGE:
                return members
            after = str(page[-1]["user"]["id"])

    async def role_members(self, tenant: Tenant, role: str) -> list[str]:
        return [
            str(m["user"]["id"]) for m in await self._members(tenant.tenant) if role in map(str, m["roles"])
        ]

    async def channel_members(self, tenant: Tenant, channel: str) -> list[str]:
        """The server's members who can see the channel (its roles' and overwrites' View Channel)."""
        try:
            data = cast(dict[str, Any], await self.http.get_channel(channel))
        except discord.NotFound:
            raise DirectoryRefusal("I can't see that channel: pick one of this server's channels.") from None
        if str(data.get("guild_id")) != tenant.tenant:
            raise DirectoryRefusal("That channel is not in this server.")
        roles = {str(r["id"]): int(r["permissions"]) for r in await self.http.get_roles(tenant.tenant)}
        overwrites = permissions.overwrites_of(data)
        members = await self._members(tenant.tenant)
        return [str(m["user"]["id"]) for m in members if _can_view(m, tenant.tenant, roles, overwrites)]

    async def display_names(self, tenant: Tenant, users: Sequence[str]) -> dict[str, str]:
        """From the member list (a server nickname first) when the intent allows it; otherwise
        from each user's profile, for a few, and ids for the rest."""
        wanted = set(users)
        try:
            members = await self._members(tenant.tenant)
        except DirectoryRefusal:
            members = []
            for uid in sorted(wanted)[:PROFILE_LOOKUPS]:
                try:
                    members.append({"user": await self.http.get_user(uid)})
                except discord.HTTPException:
                    continue
        names = {}
        for found in members:
            person = found.get("user") or {}
            name = found.get("nick") or person.get("global_name") or person.get("username")
            if str(person.get("id")) in wanted and name:
                names[str(person["id"])] = str(name)[:80]
        return names

    async def role_concern(self, tenant: Tenant, role: str) -> Concern | None:
        """Asked before `pass-role` is set: Manage Roles, and the bot's highest role above it."""
        try:
            roles = cast(list[dict[str, Any]], await self.http.get_roles(tenant.tenant))
            target = next((r for r in roles if str(r["id"]) == role), None)
            if target is None:
                return Concern(
                    text=f"{mention_role(role)} is not a role of this server: pick one of its roles.",
                    refuse=True,
                )
            if role == tenant.tenant or target.get("managed"):
                return Concern(text=UNGRANTABLE.format(role=mention_role(role)), refuse=True)
            me = await self._me(tenant)
        except discord.HTTPException as error:
            log.warning(
                "discord: pass role %s of %s not checked: http %s code %s",
                role,
                tenant,
                error.status,
                error.code,
            )
            return None
        if me is None:
            return None
        held = {str(r["id"]): int(r["permissions"]) for r in roles}
        problems = []
        if not permissions.server_permissions(me, tenant.tenant, held) & permissions.MANAGE_ROLES:
            problems.append("I don't have the Manage Roles permission")
        top = permissions.highest_role(me, roles)
        if not permissions.is_above(top, target):
            mine = mention_role(str(top["id"])) if top is not None else "none"
            problems.append(f"my highest role ({mine}) is not above {mention_role(role)}")
        if not problems:
            return None
        return Concern(text=CANNOT_GRANT.format(problems=" and ".join(problems), role=mention_role(role)))

    async def channel_concern(self, tenant: Tenant, channel: str) -> Concern | None:
        """Asked before the cohort's channel is set: View Channel, Send Messages, Create Private
        Threads, Send Messages in Threads and Read Message History there, with the channel's
        overwrites."""
        try:
            data = cast(dict[str, Any], await self.http.get_channel(channel))
        except discord.NotFound:
            return Concern(text="I can't find that channel: pick one of this server's channels.", refuse=True)
        except discord.Forbidden:
            return Concern(text=CANNOT_POST.format(channel=mention_channel(channel), missing="View Channel"))
        except discord.HTTPException as error:
            log.warning("discord: channel %s of %s not checked: http %s", channel, tenant, error.status)
            return None
        if str(data.get("guild_id")) != tenant.tenant:
            return Concern(text="That channel is not in this server.", refuse=True)
        try:
            roles = {str(r["id"]): int(r["permissions"]) for r in await self.http.get_roles(tenant.tenant)}
            me = await self._me(tenant)
        except discord.HTTPException as error:
            log.warning("discord: channel %s of %s not checked: http %s", channel, tenant, error.status)
            return None
        if me is None:
            return None
        held = permissions.channel_permissions(me, tenant.tenant, roles, permissions.overwrites_of(data))
        missing = permissions.missing_to_post(held)
        if not missing:
            return None
        return Concern(text=CANNOT_POST.format(channel=mention_channel(channel), missing=", ".join(missing)))

    async def _me(self, tenant: Tenant) -> dict[str, Any] | None:
        """The bot's own member object in the server (its roles), None before it has logged in."""
        bot = self.bot_id()
        if bot is None:
            return None
        return cast(dict[str, Any], await self.http.get_member(tenant.tenant, bot))


def _can_view(
    member: dict[str, Any], guild: str, roles: dict[str, int], overwrites: dict[str, tuple[int, int]]
) -> bool:
    return bool(permissions.channel_permissions(member, guild, roles, overwrites) & VIEW_CHANNEL)


def cohort_group(cohorts: DiscordCohorts) -> app_commands.Group:
    """`/cohort` and its subcommands. discord.py builds each one's options from its signature;
    the callbacks ignore the converted values and `words_of` reads the raw payload instead, so
    Discord and Slack share one parser (and one set of checks)."""
    group = app_commands.Group(
        name=GROUP,
        description="Facilitators: run a cohort (enrol, progress, unlock, reset, export)",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )
    run = cohorts.on_command

    @group.command(name="help", description="What facilitators can do")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await run(interaction)

    @group.command(name="list", description="The cohorts of this server")
    async def list_(interaction: discord.Interaction[Any]) -> None:
        await run(interaction)

    @group.command(description="Make a cohort; you become its facilitator")
    async def create(interaction: discord.Interaction[Any], name: str) -> None:
        await run(interaction)

    @group.command(description="Enrol a member, everyone who can see a channel, or a role's holders")
    async def enrol(
        interaction: discord.Interaction[Any],
        name: Name = None,
        user: User = None,
        channel: app_commands.AppCommandChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="Take a learner out (their progress stays)")
    async def remove(interaction: discord.Interaction[Any], user: discord.User, name: Name = None) -> None:
        await run(interaction)

    @group.command(description="Share the cohort with a member or a role")
    @app_commands.choices(op=[app_commands.Choice(name=w, value=w) for w in ("add", "remove")])
    async def facilitator(
        interaction: discord.Interaction[Any],
        op: app_commands.Choice[str],
        name: Name = None,
        user: User = None,
        role: discord.Role | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="The roster, at-risk learners first")
    async def progress(
        interaction: discord.Interaction[Any], name: Name = None, page: Count | None = None
    ) -> None:
        await run(interaction)

    @group.command(description="One learner in detail")
    async def learner(interaction: discord.Interaction[Any], user: discord.User, name: Name = None) -> None:
        await run(interaction)

    @group.command(description="Open the module test early")
    async def unlock(
        interaction: discord.Interaction[Any],
        user: discord.User,
        name: Name = None,
        reason: str | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="Grant extra module-test attempts")
    async def attempts(
        interaction: discord.Interaction[Any],
        user: discord.User,
        count: Count,
        name: Name = None,
        reason: str | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="Reset a unit (L1, quiz1, lab1, test) or all, after a Confirm")
    async def reset(
        interaction: discord.Interaction[Any],
        user: discord.User,
        unit: str,
        name: Name = None,
        reason: str | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="Restore what the last reset took")
    async def undo(interaction: discord.Interaction[Any], user: discord.User, name: Name = None) -> None:
        await run(interaction)

    @group.command(name="open", description="Open a lesson ahead of the release schedule, for all or one")
    @app_commands.describe(
        unit="L2, L3, … (a quiz or lab comes with its lesson) or all", user="only this learner"
    )
    async def open_(
        interaction: discord.Interaction[Any],
        unit: str,
        name: Name = None,
        user: User = None,
        reason: str | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="Two CSV files in your DM")
    async def export(interaction: discord.Interaction[Any], name: Name = None) -> None:
        await run(interaction)

    @group.command(description="The last facilitator actions")
    async def audit(interaction: discord.Interaction[Any], name: Name = None) -> None:
        await run(interaction)

    @group.command(description="Which questions work: flagged ones first, the full table as a CSV")
    async def items(interaction: discord.Interaction[Any], name: Name = None) -> None:
        await run(interaction)

    @group.command(description="A picture of the cohort in your DM")
    @app_commands.choices(kind=[app_commands.Choice(name=k, value=k) for k in CHART_KINDS])
    async def chart(
        interaction: discord.Interaction[Any], kind: app_commands.Choice[str], name: Name = None
    ) -> None:
        await run(interaction)

    @group.command(
        description="Post the cohort's anonymised answers to a question (L1Q2, T5) in this channel"
    )
    @app_commands.choices(step=[app_commands.Choice(name=w, value=w) for w in ("answers", "answer")])
    async def reveal(
        interaction: discord.Interaction[Any],
        question: str,
        name: Name = None,
        step: app_commands.Choice[str] | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="The cohort's settings; with a key and a value, change one")
    @app_commands.choices(key=[app_commands.Choice(name=k.name, value=k.name) for k in POLICY_KEYS])
    @app_commands.describe(value="e.g. 3, 30m, 2h, 1d, on, off, 2026-01-15, every 7d")
    async def policy(
        interaction: discord.Interaction[Any],
        name: Name = None,
        key: app_commands.Choice[str] | None = None,
        value: str | None = None,
    ) -> None:
        await run(interaction)

    @group.command(description="Who would be nudged now, with each drafted message: send all, skip or edit")
    async def nudge(interaction: discord.Interaction[Any], name: Name = None) -> None:
        await run(interaction)

    @group.command(
        name="channel",
        description="The cohort's channel: shout-outs, and private course threads for closed DMs",
    )
    @app_commands.describe(clear="True to clear the cohort's channel")
    async def channel_(
        interaction: discord.Interaction[Any],
        name: Name = None,
        channel: app_commands.AppCommandChannel | None = None,
        clear: bool | None = None,
    ) -> None:
        await run(interaction)

    return group


def words_of(data: dict[str, Any]) -> str | None:
    """The `/cohort` words an interaction's options mean (`unlock spring <@123> late start`),
    in the order the parser reads them; None when the payload has no subcommand."""
    options = data.get("options") or []
    if not options or not isinstance(options[0], dict) or options[0].get("type") != 1:
        return None
    sub = options[0]
    given = {str(o.get("name")): o.get("value") for o in sub.get("options") or [] if isinstance(o, dict)}
    words = [str(sub.get("name"))]
    if given.get("name"):
        words.append(str(given["name"]))
    if given.get("op"):
        words.append(str(given["op"]))
    if given.get("kind"):
        words.append(str(given["kind"]))
    if given.get("question"):
        words.append(str(given["question"]))
    if given.get("step") == "answer":
        words.append("answer")
    for key, form in (("user", "<@{}>"), ("channel", "<#{}>"), ("role", "<@&{}>")):
        if given.get(key):
            words.append(form.format(given[key]))
    if given.get("count") is not None:
        words.append(f"+{given['count']}")
    if given.get("unit"):
        words.append(str(given["unit"]))
    if given.get("page") is not None:
        words.append(str(given["page"]))
    if given.get("reason"):
        words.append(str(given["reason"]))
    if given.get("key"):
        words.append(str(given["key"]))
    if given.get("value"):
        words.append(str(given["value"]))
    if given.get("clear"):
        words.append("none")
    return " ".join(words)


def caller_of(interaction: discord.Interaction[Any]) -> Caller | None:
    if interaction.guild_id is None:
        return None
    member = interaction.user
    # Discord computed these for the interaction; the member cache is not needed (or kept).
    roles = frozenset(str(role) for role in getattr(member, "_roles", ()))
    permissions = interaction.permissions
    try:
        return Caller(
            platform="discord",
            tenant=str(interaction.guild_id),
            user=str(member.id),
            roles=roles,
            manages_tenant=permissions.manage_guild or permissions.administrator,
        )
    except ValueError:
        return None


class DiscordCohorts:
    """The `/cohort` handlers of one Discord client."""

    def __init__(self, desk: CohortDesk, outbox: DiscordOutbox, intake: Intake) -> None:
        self.desk = desk
        self.outbox = outbox
        self.intake = intake

    async def on_command(self, interaction: discord.Interaction[Any]) -> None:
        caller = caller_of(interaction)
        words = words_of(cast(dict[str, Any], interaction.data or {}))
        if caller is None or words is None:
            await self._say(interaction, GUILD_ONLY if caller is None else UNREADABLE)
            return
        await self._respond(interaction, {"type": CALLBACK_DEFER_MESSAGE, "data": {"flags": EPHEMERAL}})
        origin = Origin(
            application_id=str(interaction.application_id), token=interaction.token, original_pending=True
        )

        channel = str(interaction.channel_id or "")

        async def run() -> None:
            answer = await self.desk.run(caller, words)
            if answer.post is not None:
                answer = await self._post(answer, answer.post, channel)
            await self._answer(caller, answer, origin, edit=True)

        self.intake.submit(caller.actor, "cohort command", run)

    async def on_button(self, interaction: discord.Interaction[Any]) -> None:
        caller = caller_of(interaction)
        parsed = parse_custom_id(str(cast(dict[str, Any], interaction.data or {}).get("custom_id", "")))
        if caller is None or parsed is None:
            await self._say(interaction, UNREADABLE)
            return
        action, value = parsed
        if action == "edit":
            await self._open_form(interaction, caller, value)
            return
        await self._respond(interaction, {"type": CALLBACK_DEFER_UPDATE})  # the answer follows
        origin = Origin(application_id=str(interaction.application_id), token=interaction.token)

        async def run() -> None:
            answer = await self.desk.press(caller, action, value)
            # A page, or a change to a nudge preview, replaces the answer it was pressed on;
            # anything else (and any refusal) answers below it.
            await self._answer(caller, answer, origin, edit=action in REPLACING and answer.ok)

        self.intake.submit(caller.actor, "cohort button", run)

    async def _open_form(self, interaction: discord.Interaction[Any], caller: Caller, value: str) -> None:
        """An Edit button: a modal must be the interaction's first response, so the form is
        read (rights included) before answering, not after a deferral."""
        form = await self.desk.form(caller, value)
        if isinstance(form, Answer):
            await self._say(interaction, form.plain_title)
            return
        await self._respond(interaction, {"type": MODAL, "data": render_form_discord(form)})

    async def on_modal(self, interaction: discord.Interaction[Any]) -> None:
        """A submitted Edit form: the preview it was opened from is updated in place."""
        caller = caller_of(interaction)
        submitted = form_input(cast(dict[str, Any], interaction.data or {}))
        if caller is None or submitted is None:
            await self._say(interaction, UNREADABLE)
            return
        value, text = submitted
        await self._respond(interaction, {"type": CALLBACK_DEFER_UPDATE})
        origin = Origin(application_id=str(interaction.application_id), token=interaction.token)

        async def run() -> None:
            answer = await self.desk.edited(caller, value, text)
            await self._answer(caller, answer, origin, edit=answer.ok)

        self.intake.submit(caller.actor, "cohort form", run)

    async def _say(self, interaction: discord.Interaction[Any], text: str) -> None:
        data = {"content": text, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}}
        await self._respond(interaction, {"type": CALLBACK_MESSAGE, "data": data})

    async def _respond(self, interaction: discord.Interaction[Any], body: dict[str, Any]) -> None:
        # Through the outbox's REST client, which knows DISCORD_API_URL (see `rest.py`).
        try:
            await self.outbox.api.respond(str(interaction.id), interaction.token, body)
        except Refused as error:
            log.warning("discord: cohort interaction not answered: %s", error.reason)

    async def _answer(self, caller: Caller, answer: Answer, origin: Origin, *, edit: bool) -> None:
        if answer.files:
            answer = await self._send_files(caller, answer)
        part = render_answer_discord(answer)
        try:
            if edit:
                await self.outbox.api.edit_original(origin, part)
            else:
                await self.outbox.api.followup(origin, part)
        except Exception as error:  # Refused: the interaction token expired, or Discord said no
            log.warning(
                "discord: cohort answer not delivered: %s", getattr(error, "reason", type(error).__name__)
            )

    async def _post(self, answer: Answer, post: ChannelPost, channel: str) -> Answer:
        """The one public part of an answer (an anonymised reveal), in the command's channel."""
        try:
            files = [discord.File(io.BytesIO(post.image), filename=post.image_name)] if post.image else []
            params = handle_message_parameters(
                content=post.text[:2000], files=files, allowed_mentions=discord.AllowedMentions.none()
            )
            await self.outbox.api.http.send_message(channel, params=params)
        except Exception as error:  # no access to the channel, or Discord refused
            log.warning("discord: reveal not posted: %s", getattr(error, "reason", type(error).__name__))
            return Answer(
                title="I couldn't post in this channel: check that I can send messages here.", ok=False
            )
        return answer.model_copy(update={"post": None})

    async def _send_files(self, caller: Caller, answer: Answer) -> Answer:
        try:
            channel = await self.outbox.dm_channel(caller.actor)
            files = [
                discord.File(io.BytesIO(f.content), filename=f.filename, description=f.title)
                for f in answer.files
            ]
            params = handle_message_parameters(content=answer.plain_title[:2000], files=files)
            await self.outbox.api.http.request(
                Route("POST", "/channels/{channel_id}/messages", channel_id=channel),
                files=params.files,
                form=params.multipart,
            )
        except Exception as error:  # DMs closed, or Discord refused: say so, keep the answer
            log.warning("discord: cohort files not sent: %s", getattr(error, "reason", type(error).__name__))
            return Answer(title=f"{answer.title} I couldn't DM you the files (are your DMs open?).", ok=False)
        return answer.model_copy(
            update={"title": f"{answer.title} The files are in your DM with me.", "files": ()}
        )


def cohort_button(cohorts: DiscordCohorts) -> type[discord.ui.DynamicItem[discord.ui.Button[Any]]]:
    """The item for every `/cohort` answer button (its state is in the custom_id)."""

    class CohortButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_PATTERN):
        def __init__(self, custom_id: str) -> None:
            super().__init__(discord.ui.Button(custom_id=custom_id))

        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
        ) -> CohortButton:
            return cls(match.group(0))

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            await cohorts.on_button(interaction)

    return CohortButton
