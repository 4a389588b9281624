"""`tutorbot cohort SUBCOMMAND … --tenant PLATFORM:TENANT`: the operator's `/cohort`, through
the same service as Slack and Discord. The operator acts with a tenant admin's rights.

Learners cannot be messaged from the shell (there is no platform connection here), so the
one-line notices an action sends them are counted and reported, not delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.cohorts.answers import Answer, plain_mention, with_mentions
from bot.cohorts.commands import Items, Nudge
from bot.cohorts.parser import BadInput, parse
from bot.cohorts.rights import Caller
from bot.cohorts.service import CohortService
from bot.domain.events import Actor
from bot.domain.messages import Message, ReplyProgress


class ShellOutbox:
    """Counts what would have been sent to learners."""

    def __init__(self) -> None:
        self.undelivered = 0

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        self.undelivered += len(messages)

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        return None


def print_answer(answer: Answer, out: Path) -> None:
    """The answer as text; its files are written into the folder `out`, or to `out` itself when
    it names a file of the same kind (`--out funnel.png`)."""
    if answer.post is not None:
        print(answer.post.text)
        if answer.post.image is not None:
            path = out / answer.post.image_name if out.is_dir() else out
            path.write_bytes(answer.post.image)
            print(f"wrote {path}")
        return
    if len(answer.files) == 1 and not out.is_dir() and out.suffix == Path(answer.files[0].filename).suffix:
        out.write_bytes(answer.files[0].content)
        print(answer.text)
        print(f"wrote {out}")
        return
    print(answer.text)
    for button in answer.buttons:
        print(f"[{button.label}]")
    for file in answer.files:
        path = out / file.filename
        path.write_bytes(file.content)
        print(f"wrote {path}")


async def run_cohort_command(words: Sequence[str], tenant: str, user: str, out: str, yes: bool) -> int:
    from bot.advisor.factory import budget_guard
    from bot.cohorts.audit import AuditLog
    from bot.cohorts.directory import ShellDirectory
    from bot.cohorts.rights import PayloadAdmins, Rights
    from bot.cohorts.store import CohortStore
    from bot.runtime import open_runtime
    from bot.scheduler.store import JobStore
    from bot.settings import Settings

    platform, _, tenant_id = tenant.partition(":")
    try:
        caller = Caller.model_validate(
            {"platform": platform, "tenant": tenant_id, "user": user, "operator": True}
        )
    except ValueError:
        print(
            "Name the tenant as --tenant PLATFORM:TENANT, for example slack:T0123ABCD or discord:123456789."
        )
        return 2
    try:
        command = parse(" ".join(words))
    except BadInput as exc:
        print(exc)
        return 2
    settings = Settings()
    async with open_runtime(settings) as runtime:
        budget = budget_guard(settings, runtime.redis, runtime.keys)
        store = CohortStore(runtime.redis, runtime.keys)
        outbox = ShellOutbox()
        service = CohortService(
            store=store,
            audit=AuditLog(runtime.redis, runtime.keys),
            rights=Rights(store, PayloadAdmins()),
            engine=runtime.engine,
            directory=ShellDirectory(),
            outbox=outbox,
            budget=budget,
            jobs=JobStore(runtime.redis, runtime.keys),  # releases are announced by the bot's processes
        )
        answer = await service.run(caller, command)
        if isinstance(command, Nudge) and answer.buttons:
            return await _nudge_at_shell(service, caller, answer, yes)
        confirm = next((b for b in answer.buttons if b.action == "confirm"), None)
        if confirm and yes:
            answer = await service.press(caller, "confirm", confirm.value)
        elif confirm:
            print(answer.title)
            print("Run it again with --yes to confirm.")
            return 1
        if isinstance(command, Items) and answer.ok:
            print(answer.files[0].content.decode(), end="")  # the item table itself, for other tools
        else:
            print_answer(answer, Path(out))
        if outbox.undelivered:
            print(
                f"({outbox.undelivered} message(s) to learners were not sent: the shell cannot reach them.)"
            )
    return 0 if answer.ok else 1


async def _nudge_at_shell(service: CohortService, caller: Caller, answer: Answer, yes: bool) -> int:
    """`cohort nudge`: every page of the preview; with `--yes`, Send all."""
    print(answer.title)
    print("\n".join(answer.sections))
    send = answer.buttons[0]
    while True:
        for item in answer.items:
            print(with_mentions(item.text, plain_mention))
        following = next((b for b in answer.buttons if b.label == "Next"), None)
        if following is None:
            break
        answer = await service.press(caller, following.action, following.value)
    if not yes:
        print("Run it again with --yes to send them.")
        return 1
    sent = await service.press(caller, send.action, send.value)
    print(sent.text)
    return 0 if sent.ok else 1
