"""`CohortService`: runs each `/cohort` subcommand for a caller and returns an `Answer`.

Every adapter (Slack, Discord, the shell) comes through `run_text`, `run` or `press`; rights
are checked here at every action, on the caller's own tenant only. A learner-changing action
(unlock, attempts, reset, undo) is a facilitator event the engine applies under the learner's
revision check; the learner hears of it through the outbox in one line; the cohort's audit log
records it. Bad input gets a one-line answer and changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from bot.advisor.budget import BudgetGuard
from bot.cohorts import commands as c
from bot.cohorts import policy
from bot.cohorts.answers import (
    VALUE_CHARS,
    Answer,
    AnswerButton,
    AnswerFile,
    EditForm,
    channel,
    fitted,
    person,
    refusal,
    role,
)
from bot.cohorts.audit import AuditLog
from bot.cohorts.detail import learner_detail
from bot.cohorts.directory import Concern, Directory, DirectoryRefusal
from bot.cohorts.export import export_csvs
from bot.cohorts.models import NAME_PATTERN, AuditEntry, Cohort, RosterEntry, Tenant
from bot.cohorts.parser import BadInput, parse
from bot.cohorts.rights import Caller, Rights
from bot.cohorts.roster import RosterLine, learner_actor, ordered, read_roster, summary
from bot.cohorts.store import CohortStore
from bot.cohorts.units import resolve_unit
from bot.course.models import Lesson, Module
from bot.domain.facilitation import (
    ALL_UNITS,
    ApplyTerms,
    FacilitatorEvent,
    GrantAttempts,
    OpenLessons,
    ResetProgress,
    UndoReset,
    UnlockTest,
)
from bot.domain.messages import Button, Message, Paragraph
from bot.domain.outbox import Outbox
from bot.domain.release import opens_at
from bot.domain.state import CohortTerms
from bot.engine.engine import ConflictStorm, Engine
from bot.flows import facilitation
from bot.flows.facilitation import unit_name
from bot.nudges.review import NudgeReview
from bot.nudges.zones import ZoneOf
from bot.releases import jobs as release_jobs
from bot.releases.told import ReleaseMarks
from bot.reports import snapshot_state
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger("tutorbot.cohorts")

PAGE_SIZE = 20
_USER_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # `IdPart`: what a learner's key can hold
AUDIT_SHOWN = 20
MAX_ENROL = 5000
WELCOME_CONCURRENCY = 8
TERMS_BATCH = 50
"""Learners whose records take a policy change at once: enough to keep Redis busy, few
enough that one change does not crowd out learners' own clicks."""


def when(stamp: float | None) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M") if stamp else "never"


class CohortService:
    def __init__(
        self,
        *,
        store: CohortStore,
        audit: AuditLog,
        rights: Rights,
        engine: Engine,
        directory: Directory,
        outbox: Outbox,
        budget: BudgetGuard | None = None,
        clock: Callable[[], float] = time.time,
        jobs: JobStore | None = None,
        zone_of: dict[str, ZoneOf] | None = None,
    ) -> None:
        """`jobs`: where lesson releases are scheduled (none: no release DMs from here);
        `zone_of`: how learners' own time zones are asked of their platform (the nudge preview)."""
        self.store = store
        self.audit = audit
        self.rights = rights
        self.engine = engine
        self.directory = directory
        self.outbox = outbox
        self.budget = budget
        self.clock = clock
        self.jobs = jobs
        self.zone_of = zone_of
        self._nudges: NudgeReview | None = None

    @property
    def nudges(self) -> NudgeReview:
        if self._nudges is None:
            self._nudges = NudgeReview(
                self.store, self.audit, self.learners, self.engine.course, self.clock, self.zone_of
            )
        return self._nudges

    @property
    def module(self) -> Module:
        return self.engine.module

    @property
    def learners(self) -> RedisLearnerStore:
        store = self.engine.store
        assert isinstance(store, RedisLearnerStore), "cohorts read learners from Redis"
        return store

    # Entry points --------------------------------------------------------------------------

    async def run_text(self, caller: Caller, text: str) -> Answer:
        """Parse `/cohort` text and run it."""
        try:
            command = parse(text)
        except BadInput as exc:
            return refusal(str(exc))
        return await self.run(caller, command)

    async def run(self, caller: Caller, command: c.CohortCommand) -> Answer:
        try:
            return await self._run(caller, command)
        except BadInput as exc:
            return refusal(str(exc))
        except DirectoryRefusal as exc:
            return refusal(str(exc))
        except ConflictStorm:
            return refusal("That learner's record is busy right now; nothing changed. Try again in a moment.")

    async def press(self, caller: Caller, action: str, value: str) -> Answer:
        """A button from an earlier answer: Next/Previous page, Confirm/Cancel, Undo."""
        name, _, rest = value.partition(":")
        try:
            if action == "page" and rest.isdigit():
                return await self.run(caller, c.ShowProgress(cohort=name, page=int(rest)))
            if action in ("confirm", "cancel") and rest:
                return await self._confirm(caller, name, rest, action == "confirm")
            if action == "undo" and rest:
                return await self.run(caller, c.Undo(cohort=name, user=c.UserRef(id=rest)))
            if action == "nudge" and rest:
                cohort = await self._cohort(caller, name)
                if isinstance(cohort, Answer):
                    return cohort
                return await self.nudges.press(caller.home, caller.user, cohort, rest)
        except (BadInput, ValidationError):
            pass
        return refusal("That button is not one I know; nothing changed.")

    async def form(self, caller: Caller, value: str) -> EditForm | Answer:
        """An `edit` button: the form to open, or why not (rights are checked here too)."""
        name, _, rest = value.partition(":")
        cohort = await self._cohort(caller, name)
        if isinstance(cohort, Answer):
            return cohort
        return await self.nudges.form(caller.home, caller.user, cohort, rest)

    async def edited(self, caller: Caller, value: str, text: str) -> Answer:
        """What was typed in an `edit` form."""
        name, _, rest = value.partition(":")
        cohort = await self._cohort(caller, name)
        if isinstance(cohort, Answer):
            return cohort
        return await self.nudges.edited(caller.home, caller.user, cohort, rest, text)

    # Dispatch ------------------------------------------------------------------------------

    async def _run(self, caller: Caller, command: c.CohortCommand) -> Answer:
        if isinstance(command, c.Help):
            return Answer(title="/cohort: what facilitators can do", sections=fitted(list(c.HELP_LINES)))
        if isinstance(command, c.Create):
            return await self._create(caller, command)
        if isinstance(command, c.ListCohorts):
            return await self._list(caller)
        cohort = await self._cohort(caller, command.cohort)
        if isinstance(cohort, Answer):
            return cohort
        if isinstance(command, c.Enrol):
            return await self._enrol(caller, cohort, command)
        if isinstance(command, c.Remove):
            return await self._remove(caller, cohort, command)
        if isinstance(command, c.Facilitator):
            return await self._facilitator(caller, cohort, command)
        if isinstance(command, c.ShowProgress):
            return await self._progress(caller, cohort, command.page)
        if isinstance(command, c.ShowLearner):
            return await self._learner(caller, cohort, command.user)
        if isinstance(command, c.Export):
            return await self._export(caller, cohort)
        if isinstance(command, c.Audit):
            return await self._audit(caller, cohort)
        if isinstance(command, c.Items | c.Chart | c.Reveal):
            return await self._insight(caller, cohort, command)
        if isinstance(command, c.Policy):
            return await self._policy(caller, cohort, command)
        if isinstance(command, c.Open):
            return await self._open(caller, cohort, command)
        if isinstance(command, c.Nudge):
            return await self.nudges.preview(caller.home, caller.user, cohort)
        if isinstance(command, c.Channel):
            return await self._channel(caller, cohort, command)
        return await self._act(caller, cohort, command)

    async def _cohort(self, caller: Caller, name: str | None) -> Cohort | Answer:
        """The cohort a command names (or the tenant's only one) if the caller may manage it."""
        tenant = caller.home
        if name is None:
            names = await self.store.names(tenant)
            if not names:
                return refusal("There are no cohorts here yet: make one with `/cohort create NAME`.")
            if len(names) > 1:
                shown = ", ".join(f"`{n}`" for n in names[:10])
                return refusal(f"There are {len(names)} cohorts here ({shown}): name the one you mean.")
            name = names[0]
        cohort = await self.store.get(tenant, name.lower()) if _valid_name(name) else None
        if cohort is None:
            if not await self._privileged(caller):
                return refusal(self._refusal_text(caller))
            return refusal(f"There is no cohort called `{name[:40]}` here. `/cohort list` shows them.")
        if not await self.rights.may_manage(caller, cohort):
            return refusal(self._refusal_text(caller))
        return cohort

    async def _privileged(self, caller: Caller) -> bool:
        if await self.rights.is_admin(caller):
            return True
        return bool(await self.rights.manageable(caller, await self.store.all(caller.home)))

    @staticmethod
    def _refusal_text(caller: Caller) -> str:
        if caller.platform == "discord":
            return "Only this cohort's facilitators (and members with Manage Server) can do that."
        return "Only this cohort's facilitators (and workspace owners and admins) can do that."

    # Cohorts ---------------------------------------------------------------------------------

    async def _create(self, caller: Caller, command: c.Create) -> Answer:
        if not await self.rights.is_admin(caller):
            who = (
                "members with Manage Server"
                if caller.platform == "discord"
                else "workspace owners and admins"
            )
            return refusal(f"Only {who} can create cohorts.")
        try:
            cohort = Cohort(
                name=command.name,
                created_by=caller.user,
                created_at=self.clock(),
                settings=policy.defaults(self.module),
            )
        except ValidationError as exc:
            why = exc.errors()[0]["msg"].removeprefix("Value error, ")
            return refusal(f"`{command.name[:40]}` can't name a cohort: {why}.")
        tenant = caller.home
        if not await self.store.create(tenant, cohort):
            return refusal(f"There is already a cohort called `{cohort.name}` here.")
        await self.store.add_facilitator(tenant, cohort.name, caller.user)
        await self._audit_write(caller, cohort, "create")
        return Answer(
            title=f"Cohort `{cohort.name}` created; you are its facilitator.",
            sections=(f"Next: `/cohort enrol {cohort.name} @user… | #channel | @role`.",),
        )

    async def _list(self, caller: Caller) -> Answer:
        tenant = caller.home
        cohorts = await self.rights.manageable(caller, await self.store.all(tenant))
        if not cohorts:
            if not await self.rights.is_admin(caller):
                return refusal("You facilitate no cohort here.")
            return Answer(title="There are no cohorts here yet: make one with `/cohort create NAME`.")
        pipe_counts = await asyncio.gather(*(self.store.roster(tenant, cohort.name) for cohort in cohorts))
        lines = []
        for cohort, roster in zip(cohorts, pipe_counts, strict=True):
            s = cohort.settings
            lines.append(
                f"**{cohort.name}**: {len(roster)} learners · test attempts {s.test_attempts} · "
                f"created {when(cohort.created_at)}"
            )
        return Answer(title=f"Cohorts here ({len(cohorts)})", sections=fitted(lines))

    # Roster changes --------------------------------------------------------------------------

    async def _enrol(self, caller: Caller, cohort: Cohort, command: c.Enrol) -> Answer:
        tenant = caller.home
        found: dict[str, str] = {}
        for target in command.targets:
            if isinstance(target, c.UserRef):
                found.setdefault(target.id, target.name)
            elif isinstance(target, c.ChannelRef):
                for user in await self.directory.channel_members(tenant, target.id):
                    found.setdefault(user, "")
            else:
                for user in await self.directory.role_members(tenant, target.id):
                    found.setdefault(user, "")
        users = [user for user in found if _valid_user(user)]
        if not users:
            return refusal("Nobody to enrol there: the channel or role has no members I can see.")
        if len(users) > MAX_ENROL:
            return refusal(f"That is {len(users)} people; enrol at most {MAX_ENROL} at a time.")
        # Names the payload did not carry are looked up at export, not here: a channel of
        # hundreds would make the enrolment wait on as many lookups.
        now = self.clock()
        entries = [
            RosterEntry(user=user, name=found[user], enrolled_at=now, enrolled_by=caller.user)
            for user in users
        ]
        result = await self.store.enrol(tenant, cohort.name, entries)
        await self._apply_terms(caller, result.added, policy.terms(cohort, self.module))
        await self._welcome(tenant, cohort, result.added)
        if result.added:
            await self._audit_write(caller, cohort, "enrol", detail=f"{len(result.added)} learners")
        lines = []
        if result.already:
            lines.append(f"Already in `{cohort.name}`: {_people(result.already)}")
        for other in sorted(set(result.elsewhere.values())):
            people = [user for user, name in result.elsewhere.items() if name == other]
            lines.append(
                f"In cohort `{other}` already (one cohort per learner here), left there: {_people(people)}"
            )
        title = f"Enrolled {len(result.added)} in `{cohort.name}`" + (
            "; each got a welcome DM." if result.added else "."
        )
        return Answer(title=title, sections=fitted(lines), ok=bool(result.added) or not lines)

    async def _welcome(self, tenant: Tenant, cohort: Cohort, users: Sequence[str]) -> None:
        message = Message(
            heading=f"Welcome to {self.module.title}",
            blocks=(
                Paragraph(
                    text=f"Your facilitator enrolled you in the cohort **{cohort.name}**. "
                    "Press Start when you are ready; type `help` at any time."
                ),
            ),
            actions=(Button(label="Start", action="resume", style="primary"),),
        )
        gate = asyncio.Semaphore(WELCOME_CONCURRENCY)

        async def send(user: str) -> None:
            async with gate:
                try:
                    await self.outbox.send(learner_actor(tenant, user), [message])
                except Exception:  # one unreachable learner must not stop the rest
                    log.warning("welcome DM failed for %s:%s", tenant, user, exc_info=True)

        await asyncio.gather(*(send(user) for user in users))

    async def _remove(self, caller: Caller, cohort: Cohort, command: c.Remove) -> Answer:
        user = command.user.id
        if not await self.store.remove(caller.home, cohort.name, user):
            return refusal(f"{person(user)} is not in `{cohort.name}`.")
        await self._apply_terms(caller, [user], None)  # back under the module's defaults
        await self._audit_write(caller, cohort, "remove", learner=user)
        return Answer(title=f"Removed {person(user)} from `{cohort.name}`; their progress stays.")

    async def _facilitator(self, caller: Caller, cohort: Cohort, command: c.Facilitator) -> Answer:
        tenant = caller.home
        who = command.who
        if isinstance(who, c.RoleRef):
            if caller.platform != "discord":
                return refusal("A facilitator role is a Discord thing: add facilitators here by @user.")
            new_role = who.id if command.op == "add" else None
            if command.op == "remove" and cohort.facilitator_role != who.id:
                return refusal(f"{role(who.id)} is not `{cohort.name}`'s facilitator role.")
            await self.store.save(tenant, cohort.model_copy(update={"facilitator_role": new_role}))
            await self._audit_write(caller, cohort, f"facilitator {command.op}", detail=f"role {who.id}")
            verb = "now facilitate" if new_role else "no longer facilitate"
            return Answer(title=f"Members holding {role(who.id)} {verb} `{cohort.name}`.")
        named = person(who.id)
        if command.op == "add":
            if not await self.store.add_facilitator(tenant, cohort.name, who.id):
                return refusal(f"{named} already facilitates `{cohort.name}`.")
        elif not await self.store.remove_facilitator(tenant, cohort.name, who.id):
            return refusal(f"{named} is not a facilitator of `{cohort.name}`.")
        await self._audit_write(caller, cohort, f"facilitator {command.op}", detail=who.id)
        verb = "now facilitates" if command.op == "add" else "no longer facilitates"
        return Answer(title=f"{named} {verb} `{cohort.name}`.")

    # Reading ---------------------------------------------------------------------------------

    async def roster_lines(self, tenant: Tenant, cohort: Cohort) -> list[RosterLine]:
        """The cohort's learners, at-risk first (what `progress` shows, for later features too)."""
        entries = await self.store.roster(tenant, cohort.name)
        return ordered(
            await read_roster(self.learners, self.module, tenant, entries, self.budget, self.clock())
        )

    async def _progress(self, caller: Caller, cohort: Cohort, page: int) -> Answer:
        lines = await self.roster_lines(caller.home, cohort)
        if not lines:
            return Answer(title=f"`{cohort.name}` has no learners yet: `/cohort enrol {cohort.name} @user…`.")
        pages = max(1, -(-len(lines) // PAGE_SIZE))
        if not 1 <= page <= pages:
            return refusal(f"`{cohort.name}` has {pages} pages of learners; there is no page {page}.")
        shown = lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        rows = [self._roster_row(line) for line in shown]
        buttons = []
        if page > 1:
            buttons.append(AnswerButton(label="Previous", action="page", value=f"{cohort.name}:{page - 1}"))
        if page < pages:
            buttons.append(
                AnswerButton(label="Next", action="page", value=f"{cohort.name}:{page + 1}", style="primary")
            )
        return Answer(
            title=f"{cohort.name} · page {page} of {pages}",
            sections=(summary(lines), *fitted(rows, budget=5000)),
            buttons=tuple(buttons),
        )

    def _roster_row(self, line: RosterLine) -> str:
        row = line.row
        quizzes = " ".join(score or "–" for score in row.quizzes.values())
        test = f"{row.test_best or '–'} ({row.test_attempts} tries)"
        flag = f"⚠️ **{'; '.join(line.risks)}** · " if line.risks else ""
        current = f" · {row.current}" if row.current and row.status == "in progress" else ""
        return (
            f"{flag}{person(line.entry.user)} · {row.status}{current} · "
            f"quizzes {quizzes} · labs {row.labs_done}/{len(self.module.lessons)} · test {test} · "
            f"active {when(line.last_active)}"
        )

    async def _learner(self, caller: Caller, cohort: Cohort, user: c.UserRef) -> Answer:
        tenant = caller.home
        entry = await self.store.entry(tenant, cohort.name, user.id)
        if entry is None:
            return refusal(f"{person(user.id)} is not in `{cohort.name}`.")
        lines = await learner_detail(self.learners, self.module, learner_actor(tenant, user.id), self.budget)
        return Answer(
            title=f"{cohort.name} · {entry.name or user.id}",
            sections=(person(user.id), *fitted(lines, budget=5200)),
        )

    async def _export(self, caller: Caller, cohort: Cohort) -> Answer:
        tenant = caller.home
        entries = await self.store.roster(tenant, cohort.name)
        if not entries:
            return refusal(f"`{cohort.name}` has no learners yet: there is nothing to export.")
        unnamed = [entry.user for entry in entries if not entry.name]
        names = {entry.user: entry.name for entry in entries if entry.name}
        if unnamed:
            names.update(await self.directory.display_names(tenant, unnamed))
        learners, answers = await export_csvs(self.learners, self.module, tenant, entries, self.budget, names)
        day = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y%m%d")
        await self._audit_write(caller, cohort, "export", detail=f"{len(entries)} learners")
        return Answer(
            title=f"`{cohort.name}`: {len(entries)} learners exported.",
            files=(
                AnswerFile(
                    filename=f"{cohort.name}-learners-{day}.csv",
                    title=f"{cohort.name} learners",
                    content=learners.encode(),
                ),
                AnswerFile(
                    filename=f"{cohort.name}-answers-{day}.csv",
                    title=f"{cohort.name} first-attempt answers",
                    content=answers.encode(),
                ),
            ),
        )

    async def _insight(self, caller: Caller, cohort: Cohort, command: c.Items | c.Chart | c.Reveal) -> Answer:
        from bot.insight import commands as insight  # matplotlib loads only when a chart is asked for

        tenant = caller.home
        entries = await self.store.roster(tenant, cohort.name)
        if isinstance(command, c.Items):
            return await insight.items_answer(self.learners, self.module, tenant, cohort, entries)
        if isinstance(command, c.Chart):
            return await insight.chart_answer(self.learners, self.module, tenant, cohort, entries, command)
        answer = await insight.reveal_answer(self.learners, self.module, tenant, cohort, entries, command)
        if answer.post is not None:
            step = "answer" if command.answer else "distribution"
            await self._audit_write(caller, cohort, "reveal", detail=f"{command.question} {step}")
        return answer

    async def _audit(self, caller: Caller, cohort: Cohort) -> Answer:
        entries = await self.audit.last(caller.home, cohort.name, AUDIT_SHOWN)
        if not entries:
            return Answer(title=f"`{cohort.name}`: no facilitator actions yet.")
        lines = []
        for entry in entries:
            parts = [when(entry.at), person(entry.by), entry.action]
            if entry.learner:
                parts.append(person(entry.learner))
            if entry.detail:
                parts.append(entry.detail)
            if entry.reason:
                parts.append(f"“{entry.reason}”")
            lines.append(" · ".join(parts))
        return Answer(
            title=f"`{cohort.name}`: the last {len(entries)} facilitator actions", sections=fitted(lines)
        )

    # Policy ----------------------------------------------------------------------------------

    async def _policy(self, caller: Caller, cohort: Cohort, command: c.Policy) -> Answer:
        if command.key is None:
            return Answer(
                title=f"`{cohort.name}` policy · change one with `/cohort policy {cohort.name} KEY VALUE`",
                sections=fitted(policy.lines(cohort.settings, self.module)),
            )
        try:
            key = policy.lookup(command.key)
            settings = policy.changed(cohort.settings, key, command.value)
            policy.fits(settings, self.module)
        except policy.PolicyError as exc:
            return refusal(f"{exc} Nothing changed.")
        if key.field == "pass_role" and caller.platform != "discord":
            return refusal(
                "`pass-role` is a Discord role. Here, a learner who passes can press Share my pass "
                "to be congratulated in the cohort's channel (`/cohort channel`). Nothing changed."
            )
        before, after = policy.shown(key, cohort.settings), policy.shown(key, settings)
        if settings == cohort.settings:
            return Answer(title=f"`{cohort.name}` already has `{key.name}` {after}; nothing changed.")
        concern = None
        if key.field == "pass_role" and settings.pass_role is not None:
            concern = await self.directory.role_concern(caller.home, settings.pass_role)
            if concern is not None and concern.refuse:
                return refusal(f"{concern.text} Nothing changed.")
        set_by = {**cohort.set_by, key.name: caller.user}
        changed = cohort.model_copy(update={"settings": settings, "set_by": set_by})
        tenant = caller.home
        await self.store.save(tenant, changed)
        if self.jobs is not None:
            await release_jobs.replan(self.jobs, tenant, cohort, changed, self.module, self.clock())
        await self._audit_write(caller, cohort, "policy", detail=f"{key.name} {before} → {after}")
        users = [entry.user for entry in await self.store.roster(tenant, cohort.name)]
        terms = policy.terms(changed, self.module)
        # Keys the records do not carry (the nudge settings) are read from the cohort itself.
        unchanged = terms == policy.terms(cohort, self.module)
        missed = [] if unchanged else await self._apply_terms(caller, users, terms)
        reached = f"{len(users) - len(missed)} learners are under it now."
        if missed:
            reached += f" {len(missed)} were busy and keep the old terms: set it again to reach them."
        return Answer(
            title=f"`{cohort.name}`: `{key.name}` is now {after} (was {before}).",
            sections=(*_warned(concern), reached),
        )

    async def _channel(self, caller: Caller, cohort: Cohort, command: c.Channel) -> Answer:
        meaning = _CHANNEL_MEANS.get(caller.platform, _CHANNEL_MEANS["slack"])
        if command.channel is None and not command.clear:
            now = channel(cohort.channel) if cohort.channel else "none"
            return Answer(
                title=f"`{cohort.name}`'s channel: {now}",
                sections=(meaning, f"Set it with `/cohort channel {cohort.name} #channel`, or `none`."),
            )
        new = command.channel.id if command.channel is not None else None
        if new == cohort.channel:
            return Answer(title=f"`{cohort.name}`'s channel is already {channel(new) if new else 'none'}.")
        concern = await self.directory.channel_concern(caller.home, new) if new is not None else None
        if concern is not None and concern.refuse:
            return refusal(f"{concern.text} Nothing changed.")
        await self.store.save(caller.home, cohort.model_copy(update={"channel": new}))
        before = cohort.channel or "none"
        await self._audit_write(caller, cohort, "channel", detail=f"{before} → {new or 'none'}")
        if new is None:
            return Answer(title=f"`{cohort.name}` has no channel now: nothing is posted for it.")
        return Answer(
            title=f"`{cohort.name}`'s channel is now {channel(new)}.", sections=(*_warned(concern), meaning)
        )

    async def _apply_terms(
        self, caller: Caller, users: Sequence[str], terms: CohortTerms | None
    ) -> list[str]:
        """Put these learners' records under `terms`, each under its revision check, in
        batches; returns those whose record stayed too busy to take it."""
        missed: list[str] = []

        async def apply(user: str) -> None:
            event = ApplyTerms(actor=learner_actor(caller.home, user), by=caller.user, terms=terms)
            try:
                await self.engine.facilitate(event, self.outbox)
            except ConflictStorm:
                missed.append(user)

        for start in range(0, len(users), TERMS_BATCH):
            await asyncio.gather(*(apply(user) for user in users[start : start + TERMS_BATCH]))
        return missed

    # Paced release ---------------------------------------------------------------------------

    async def _open(self, caller: Caller, cohort: Cohort, command: c.Open) -> Answer:
        """A lesson (and those before it) opened ahead of the cohort's release schedule."""
        module, tenant, now = self.module, caller.home, self.clock()
        lesson = self._lesson_named(command.unit)
        release = policy.release_terms(cohort, module)
        if release is None:
            return refusal(
                f"`{cohort.name}` releases nothing on a schedule (`release` is off): every lesson is open "
                f"as the course allows. Nothing changed."
            )
        held = [each for each in module.lessons[: lesson.number] if opens_at(release, each.number, now)]
        if not held:
            return refusal(f"Lesson {lesson.number} is open for `{cohort.name}` already. Nothing changed.")
        if command.user is None:
            return await self._open_for_all(caller, cohort, lesson.number, held, command.reason)
        user = command.user.id
        if await self.store.entry(tenant, cohort.name, user) is None:
            return refusal(f"{person(user)} is not in `{cohort.name}`.")
        event = OpenLessons(
            actor=learner_actor(tenant, user), by=caller.user, through=lesson.number, reason=command.reason
        )
        done = f"Opened Lesson {lesson.number} for {person(user)} ahead of the schedule."
        answer = await self._facilitate(caller, cohort, "open", event, done, f"L{lesson.number}")
        if answer.ok:  # told just now: the release itself need not tell them again
            marks = ReleaseMarks(self.store.client, self.store.keys)
            for each in held:
                if await marks.take(tenant, cohort.name, each.id, user):
                    await marks.settle(tenant, cohort.name, each.id, user)
        return answer

    async def _open_for_all(
        self, caller: Caller, cohort: Cohort, through: int, held: Sequence[Lesson], reason: str
    ) -> Answer:
        tenant = caller.home
        changed = cohort.model_copy(update={"opened_through": through})
        await self.store.save(tenant, changed)
        users = [entry.user for entry in await self.store.roster(tenant, cohort.name)]
        missed = await self._apply_terms(caller, users, policy.terms(changed, self.module))
        now = self.clock()
        if self.jobs is not None:
            for each in held:
                await release_jobs.announce_now(self.jobs, tenant, cohort.name, each.number, now)
        await self._audit_write(caller, cohort, "open", detail=f"L{through} for everyone", reason=reason)
        first, last = held[0].number, held[-1].number  # held back in order: a run of lessons
        names = f"Lesson {last}" if first == last else f"Lessons {first}–{last}"
        told = " Each learner hears of it by DM." if self.jobs is not None else ""
        lines = [f"{len(users) - len(missed)} learners have it open now."]
        if missed:
            lines.append(f"{len(missed)} were busy: run it again to reach them.")
        return Answer(title=f"Opened {names} for everyone in `{cohort.name}`.{told}", sections=tuple(lines))

    def _lesson_named(self, typed: str) -> Lesson:
        module = self.module
        unit_id = resolve_unit(module, typed)
        if unit_id == ALL_UNITS:
            return module.lessons[-1]
        unit = module.unit(unit_id) if unit_id else None
        if unit is not None and unit.lesson_id:
            lesson = module.lesson(unit.lesson_id)
            assert lesson is not None
            return lesson
        if unit is not None:  # the module test: no schedule holds it back
            raise BadInput(
                "The module test is not on the release schedule: `/cohort unlock NAME @user` opens it early."
            )
        raise BadInput(
            f"`{typed[:30]}` is not a lesson of this module: use L1…L{len(module.lessons)} "
            "(a quiz or lab comes with its lesson) or `all`."
        )

    # Actions on one learner -----------------------------------------------------------------

    async def _act(self, caller: Caller, cohort: Cohort, command: c.CohortCommand) -> Answer:
        assert isinstance(command, (c.Unlock, c.Attempts, c.Reset, c.Undo))
        tenant = caller.home
        user = command.user.id
        named = person(user)
        if await self.store.entry(tenant, cohort.name, user) is None:
            return refusal(f"{named} is not in `{cohort.name}`.")
        actor = learner_actor(tenant, user)
        if isinstance(command, c.Reset):
            unit = resolve_unit(self.module, command.unit)
            if unit is None:
                return refusal(
                    f"`{command.unit[:30]}` is not a unit of this module: "
                    f"use L1…L{len(self.module.lessons)}, "
                    f"quiz1…, lab1…, test or all."
                )
            action_id = uuid.uuid4().hex[:16]
            (snapshot,) = await self.learners.snapshots([actor], log_last=0)
            check = ResetProgress(actor=actor, by=caller.user, unit=unit, reset_id=action_id)
            why = facilitation.refusal(snapshot_state(snapshot)[0], check, self.module)
            if why is not None:  # asked again at Confirm, under the revision check
                return refusal(f"{named} {why} Nothing changed.")
            payload = json.dumps({"user": user, "unit": unit, "reason": command.reason}).encode()
            await self.store.park(tenant, cohort.name, action_id, caller.user, payload)
            what = "all of their progress" if unit == ALL_UNITS else unit_name(self.module, unit)
            return Answer(
                title=f"Reset {what} for {named}? Their current record is kept, and `undo` restores it.",
                buttons=(
                    AnswerButton(
                        label="Confirm reset",
                        action="confirm",
                        value=f"{cohort.name}:{action_id}",
                        style="danger",
                    ),
                    AnswerButton(label="Cancel", action="cancel", value=f"{cohort.name}:{action_id}"),
                ),
            )
        event: FacilitatorEvent
        if isinstance(command, c.Unlock):
            event = UnlockTest(actor=actor, by=caller.user, reason=command.reason)
            done, detail = f"Opened the module test for {named}.", ""
        elif isinstance(command, c.Attempts):
            event = GrantAttempts(actor=actor, by=caller.user, extra=command.extra, reason=command.reason)
            done, detail = f"Granted {named} {command.extra} more test attempt(s).", f"+{command.extra}"
        else:
            event = UndoReset(actor=actor, by=caller.user, reason=command.reason)
            done, detail = f"Restored what the last reset took from {named}.", ""
        return await self._facilitate(caller, cohort, command.word, event, done, detail)

    async def _facilitate(
        self, caller: Caller, cohort: Cohort, word: str, event: FacilitatorEvent, done: str, detail: str
    ) -> Answer:
        result = await self.engine.facilitate(event, self.outbox)
        named = person(event.actor.user)
        if not result.applied:
            return refusal(f"{named} {result.refusal or 'could not be changed.'} Nothing changed.")
        await self._audit_write(
            caller, cohort, word, learner=event.actor.user, detail=detail, reason=event.reason
        )
        buttons: tuple[AnswerButton, ...] = ()
        undo = f"{cohort.name}:{event.actor.user}"
        if isinstance(event, ResetProgress) and len(undo) <= VALUE_CHARS:  # else `undo` is typed
            buttons = (AnswerButton(label="Undo", action="undo", value=undo),)
        told = "" if caller.operator else " They were told by DM."  # the shell reaches no one
        return Answer(title=done + told, buttons=buttons)

    async def _confirm(self, caller: Caller, name: str, action_id: str, confirmed: bool) -> Answer:
        cohort = await self._cohort(caller, name)
        if isinstance(cohort, Answer):
            return cohort
        claim = await self.store.claim(caller.home, cohort.name, action_id, caller.user)
        if claim.status == "unknown":
            return refusal(
                "That reset has expired or never existed; nothing changed. Ask again with `/cohort reset`."
            )
        if claim.status == "not-yours":
            return refusal(f"Only {person(claim.requester)}, who asked for that reset, can confirm it.")
        if claim.status == "done":
            return refusal("That reset was already confirmed or cancelled; nothing changed.")
        parked = json.loads(claim.payload)
        if not confirmed:
            return Answer(title="Reset cancelled; nothing changed.")
        user, unit = parked["user"], parked["unit"]
        event = ResetProgress(
            actor=learner_actor(caller.home, user),
            by=caller.user,
            unit=unit,
            reset_id=action_id,
            reason=parked.get("reason", ""),
        )
        what = "all of their progress" if unit == ALL_UNITS else unit_name(self.module, unit)
        done = f"Reset {what} for {person(user)}; the old record is kept."
        return await self._facilitate(caller, cohort, "reset", event, done, unit)

    async def _audit_write(
        self,
        caller: Caller,
        cohort: Cohort,
        action: str,
        *,
        learner: str = "",
        detail: str = "",
        reason: str = "",
    ) -> None:
        entry = AuditEntry(
            at=self.clock(), by=caller.user, action=action, learner=learner, detail=detail, reason=reason
        )
        await self.audit.write(caller.home, cohort.name, entry)


_CHANNEL_MEANS = {
    "slack": (
        "A learner who passes and presses Share my pass is congratulated there; nothing is posted "
        "without the press. Invite me to the channel (`/invite @tutorbot`) so I can post."
    ),
    "discord": (
        "A learner who passes and presses Share my pass is congratulated there, and learners whose "
        "DMs are closed continue in a private thread there. I need to see the channel, send "
        "messages and create private threads in it."
    ),
}


def _warned(concern: Concern | None) -> tuple[str, ...]:
    """A warning the platform gave about a setting just made, first among the answer's lines."""
    return (f"⚠️ {concern.text}",) if concern is not None else ()


def _people(users: Sequence[str], shown: int = 15) -> str:
    named = ", ".join(person(user) for user in users[:shown])
    return named + (f" and {len(users) - shown} more" if len(users) > shown else "")


def _valid_name(name: str) -> bool:
    return bool(NAME_PATTERN.fullmatch(name.lower()))


def _valid_user(user: str) -> bool:
    return bool(_USER_ID.fullmatch(user))
