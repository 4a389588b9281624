"""`/cohort nudge NAME`: the facilitator sees who would be nudged now and each drafted message,
skips some, edits others, and sends the rest through the scheduler.

The list is the policy's own plan (`plan_cohort`: paused and finished learners left out, quiet
hours and weekends applied), cut to the nudges due now. It is kept as a preview in Redis
(`preview`) so that every button works on any process, and shown a few learners a page, so
that it fits both platforms (each learner's buttons take one of Discord's five button rows)
and a phone screen; the summary at the top counts the whole cohort.

"Send all" hands each approved nudge to the scheduler under the job id the automatic nudge of
the same learner, stretch and number has: a waiting automatic job takes the approved text and
time instead, one already sent is not sent again, so a learner never gets both. The jobs are
spaced out (`SPACING_S`) so that the platforms' limits hold however large the cohort. A skipped
nudge is retired (marked done, so no sweep schedules it again) and counted for the stretch like
a sent one: the learner's next nudge comes one `nudge-after` later, and skips count towards
`max-nudges`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from bot.cohorts.answers import (
    MAX_EDIT,
    MAX_ITEMS,
    Answer,
    AnswerButton,
    AnswerItem,
    EditForm,
    person,
    refusal,
)
from bot.cohorts.audit import AuditLog
from bot.cohorts.models import AuditEntry, Cohort, Tenant
from bot.cohorts.policy import nudge_policy
from bot.cohorts.roster import learner_actor
from bot.cohorts.store import CohortStore
from bot.flows.compiled import CompiledModule
from bot.nudges.policy import NudgePolicy
from bot.nudges.preview import TTL_S, Preview, PreviewStore
from bot.nudges.record import NudgeRecords
from bot.nudges.sweep import CohortNudge, CohortPlanner
from bot.nudges.zones import ZoneOf
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore

PAGE = MAX_ITEMS
SPACING_S: dict[str, float] = {"slack": 1.4, "discord": 0.5}
"""Seconds between two approved nudges. Slack: a nudge to a learner whose DM is not known yet
opens it with `conversations.open` (Tier 3, about 50 a minute for the workspace); each DM is its
own channel for `chat.postMessage`. Discord: opening a DM and posting are limited per route, and
discord.py waits out any 429 itself."""
DEFAULT_SPACING_S = 1.0
TEXT_SHOWN = 600
STALE = (
    "This nudge preview is out of date (it expired, or a newer `/cohort nudge` replaced it); "
    "nothing was sent. Run `/cohort nudge {name}` again."
)


def when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M")


def about(seconds: float) -> str:
    if seconds < 1.5:
        return "about a second"
    if seconds < 90:
        return f"about {round(seconds)} seconds"
    return f"about {round(seconds / 60)} minutes"


class NudgeReview:
    def __init__(
        self,
        cohorts: CohortStore,
        audit: AuditLog,
        learners: RedisLearnerStore,
        course: CompiledModule,
        clock: Callable[[], float],
        zone_of: dict[str, ZoneOf] | None = None,
    ) -> None:
        """`zone_of`: how this process asks a platform for a learner's own zone (Slack), so the
        preview holds back a learner in their quiet hours as the automatic nudge would."""
        self.cohorts = cohorts
        self.audit = audit
        self.learners = learners
        self.clock = clock
        self.records = NudgeRecords(cohorts.client, cohorts.keys)
        self.planner = CohortPlanner(
            cohorts, learners, self.records, course, zone_of=zone_of, bare_when_unknown=False
        )
        self.jobs = JobStore(cohorts.client, cohorts.keys)
        self.previews = PreviewStore(cohorts.client, cohorts.keys)

    # The command -------------------------------------------------------------------------

    async def preview(self, tenant: Tenant, facilitator: str, cohort: Cohort) -> Answer:
        now = self.clock()
        policy = nudge_policy(cohort.settings)
        planned = await self.planner.plan(tenant, cohort, now)
        due = [nudge for nudge in planned if nudge.plan.at <= now]
        if not due:
            later = f" The next is due {when(planned[0].plan.at)} UTC." if planned else ""
            return Answer(title=f"Nobody in `{cohort.name}` would be nudged now.{later}")
        preview = await self.previews.create(tenant, cohort.name, facilitator, due, now)
        return self._page(tenant, cohort, policy, preview, 1)

    # Its buttons -------------------------------------------------------------------------

    async def press(self, tenant: Tenant, facilitator: str, cohort: Cohort, rest: str) -> Answer:
        """`rest` is `PREVIEW:page:N`, `PREVIEW:skip:N`, `PREVIEW:keep:N` or `PREVIEW:send`."""
        preview_id, _, rest = rest.partition(":")
        op, _, arg = rest.partition(":")
        if op == "send" and not arg:
            return await self._send(tenant, facilitator, cohort, preview_id)
        if op not in ("page", "skip", "keep") or not arg.isdigit():
            return refusal("That button is not one I know; nothing changed.")
        status, preview = await self.previews.read(tenant, cohort.name, facilitator, preview_id)
        if preview is None:
            return refusal(STALE.format(name=cohort.name))
        number = int(arg)
        if op == "page":
            return self._page(tenant, cohort, nudge_policy(cohort.settings), preview, number)
        if not 0 <= number < len(preview.drafts):
            return refusal("That button is not one I know; nothing changed.")
        if status == "sent":
            return self._already(cohort, preview)
        marked = await self.previews.mark(
            tenant, cohort.name, facilitator, preview_id, f"skip:{number}", "1" if op == "skip" else ""
        )
        return await self._after_mark(tenant, facilitator, cohort, preview_id, marked, number)

    async def form(self, tenant: Tenant, facilitator: str, cohort: Cohort, rest: str) -> EditForm | Answer:
        """The Edit button: a form holding the learner's text as it stands."""
        preview_id, _, arg = rest.partition(":")
        status, preview = await self.previews.read(tenant, cohort.name, facilitator, preview_id)
        if preview is None:
            return refusal(STALE.format(name=cohort.name))
        if status == "sent":
            return self._already(cohort, preview)
        if not arg.isdigit() or not 0 <= int(arg) < len(preview.drafts):
            return refusal("That button is not one I know; nothing changed.")
        number = int(arg)
        nudge = preview.drafts[number]
        return EditForm(
            title="Edit nudge",
            label=f"Message to {nudge.name or nudge.user}"[:45],
            text=preview.text(number)[:MAX_EDIT],
            value=f"{cohort.name}:{preview_id}:{number}",
        )

    async def edited(self, tenant: Tenant, facilitator: str, cohort: Cohort, rest: str, text: str) -> Answer:
        """What was typed in the Edit form: that learner's nudge from now on."""
        preview_id, _, arg = rest.partition(":")
        text = text.strip()
        if not text:
            return refusal(
                "An empty nudge can't be sent: press Skip for that learner instead. Nothing changed."
            )
        if len(text) > MAX_EDIT:
            return refusal(f"Keep a nudge under {MAX_EDIT} characters; nothing changed.")
        status, preview = await self.previews.read(tenant, cohort.name, facilitator, preview_id)
        if preview is None:
            return refusal(STALE.format(name=cohort.name))
        if not arg.isdigit() or not 0 <= int(arg) < len(preview.drafts):
            return refusal("That form is not one I know; nothing changed.")
        if status == "sent":
            return self._already(cohort, preview)
        number = int(arg)
        value = "" if text == preview.drafts[number].text else text  # back to the draft: no edit
        marked = await self.previews.mark(
            tenant, cohort.name, facilitator, preview_id, f"edit:{number}", value
        )
        return await self._after_mark(tenant, facilitator, cohort, preview_id, marked, number)

    async def _after_mark(
        self, tenant: Tenant, facilitator: str, cohort: Cohort, preview_id: str, marked: str, number: int
    ) -> Answer:
        status, preview = await self.previews.read(tenant, cohort.name, facilitator, preview_id)
        if marked == "stale" or preview is None:
            return refusal(STALE.format(name=cohort.name))
        if marked == "sent" or status == "sent":
            return self._already(cohort, preview)
        return self._page(tenant, cohort, nudge_policy(cohort.settings), preview, number // PAGE + 1)

    async def _send(self, tenant: Tenant, facilitator: str, cohort: Cohort, preview_id: str) -> Answer:
        status, preview = await self.previews.read(
            tenant, cohort.name, facilitator, preview_id, send_as="sending"
        )
        if preview is None:
            return refusal(STALE.format(name=cohort.name))
        if status == "sent":
            return self._already(cohort, preview)
        now = self.clock()
        spacing = SPACING_S.get(tenant.platform, DEFAULT_SPACING_S)
        queued = already = skipped = 0
        for number, nudge in enumerate(preview.drafts):
            if number in preview.skipped:
                await self.jobs.retire(nudge.plan.job_id, now)
                await self.records.count_sent(
                    learner_actor(tenant, nudge.user), nudge.stretch, nudge.plan.number
                )
                skipped += 1
                continue
            approved = approved_nudge(nudge, preview.text(number), now + queued * spacing)
            if await self.jobs.schedule(approved.job(tenant, cohort.name), replace=True):
                queued += 1
            else:  # running or sent already (the automatic nudge got there first)
                already += 1
        report = {"queued": queued, "skipped": skipped, "already": already, "spacing": spacing}
        await self.previews.report(tenant, cohort.name, facilitator, json.dumps(report))
        detail = f"{queued} queued, {skipped} skipped, {len(preview.edits)} edited"
        await self.audit.write(
            tenant, cohort.name, AuditEntry(at=now, by=facilitator, action="nudge", detail=detail)
        )
        return Answer(title=_sent_title(cohort.name, report))

    # Showing it --------------------------------------------------------------------------

    def _already(self, cohort: Cohort, preview: Preview) -> Answer:
        try:
            report = json.loads(preview.sent or "")
        except ValueError:  # "sending": the first press is still handing the nudges over
            return refusal(f"These `{cohort.name}` nudges are being sent already; nothing more was sent.")
        return refusal(
            f"These `{cohort.name}` nudges were sent already; nothing more was sent. "
            + _sent_title(cohort.name, report)
        )

    def _page(
        self, tenant: Tenant, cohort: Cohort, policy: NudgePolicy, preview: Preview, page: int
    ) -> Answer:
        count = len(preview.drafts)
        pages = max(1, -(-count // PAGE))
        page = min(max(page, 1), pages)
        approved = len(preview.approved)
        spacing = SPACING_S.get(tenant.platform, DEFAULT_SPACING_S)
        summary = (
            f"{approved} to send · {len(preview.skipped)} skipped · {len(preview.edits)} edited. "
            "Nothing goes out until you press **Send all**; "
            f"then the nudges go out through the scheduler, one every {spacing:g} s "
            f"({about(max(0, approved - 1) * spacing)} for all). "
            f"This preview lasts {TTL_S // 60} minutes after your last press."
        )
        items = []
        for number in range(
            (page - 1) * PAGE, min(count, page * PAGE)
        ):  # a few at a time: each learner's buttons take one row
            items.append(self._item(cohort, policy, preview, number))
        base = f"{cohort.name}:{preview.id}"
        buttons = [
            AnswerButton(
                label=f"Send all ({approved})", action="nudge", value=f"{base}:send", style="primary"
            )
        ]
        if page > 1:
            buttons.append(AnswerButton(label="Previous", action="nudge", value=f"{base}:page:{page - 1}"))
        if page < pages:
            buttons.append(AnswerButton(label="Next", action="nudge", value=f"{base}:page:{page + 1}"))
        return Answer(
            title=f"`{cohort.name}`: {count} learner(s) would be nudged now · page {page} of {pages}",
            sections=(summary,),
            items=tuple(items),
            buttons=tuple(buttons),
        )

    def _item(self, cohort: Cohort, policy: NudgePolicy, preview: Preview, number: int) -> AnswerItem:
        nudge = preview.drafts[number]
        who = person(nudge.user) + (f" ({nudge.name})" if nudge.name else "")
        head = (
            f"**{number + 1}.** {who} · nudge {nudge.plan.number} of {policy.max_nudges} · "
            f"inactive since {when(nudge.stretch)}"
        )
        text = preview.text(number)
        shown = text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"
        base = f"{cohort.name}:{preview.id}"
        if number in preview.skipped:
            return AnswerItem(
                text=f"{head}\n_Skipped: gets no nudge now._",
                buttons=(
                    AnswerButton(label=f"Keep {number + 1}", action="nudge", value=f"{base}:keep:{number}"),
                ),
            )
        mark = "_Edited:_ " if number in preview.edits else ""
        return AnswerItem(
            text=f"{head}\n{mark}{shown}",
            buttons=(
                AnswerButton(label=f"Skip {number + 1}", action="nudge", value=f"{base}:skip:{number}"),
                AnswerButton(label=f"Edit {number + 1}", action="edit", value=f"{base}:{number}"),
            ),
        )


def approved_nudge(nudge: CohortNudge, text: str, at: float) -> CohortNudge:
    """The nudge as the facilitator approved it: their text, at its place in the queue."""
    return nudge.model_copy(update={"text": text, "plan": nudge.plan.model_copy(update={"at": at})})


def _sent_title(name: str, report: dict[str, float]) -> str:
    queued, skipped, already = int(report["queued"]), int(report["skipped"]), int(report["already"])
    spread = max(0, queued - 1) * float(report.get("spacing", DEFAULT_SPACING_S))
    parts = [f"`{name}`: {queued} nudge(s) queued"]
    if queued:
        parts[0] += f", going out over {about(spread)}" if queued > 1 else ", going out now"
    parts.append(f"{skipped} skipped")
    if already:
        parts.append(f"{already} had been sent already")
    return " · ".join(parts) + "."
