"""Lab flow: a role-play conversation with the advisor, complete after N counted exchanges.

A learner turn is two commits. `message` stores the learner's text as the pending turn and asks
the engine (job `AskAdvisor`) to get the reply outside any lock; `answered` (or `failed`) then
commits the reply and the transcript lines together. Messages typed while a turn is pending are
queued (a few) and asked one after another, so nothing is lost and nothing is answered twice.

The instance asking the advisor holds a lease on the turn and renews it while the reply streams;
a turn whose lease has run out belongs to a process that is gone, and any instance may claim it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.advisor import recap
from bot.advisor.base import AdvisorRequest, Turn
from bot.advisor.retrieval import on_subject
from bot.advisor.substance import is_substantive, normalise
from bot.course.models import Lab, Lesson, Module, Unit, UnitKind
from bot.domain.events import Actor, Press
from bot.domain.messages import AdvisorReply, Block, Button, Message, Paragraph
from bot.domain.state import LabResult, LabStep, LearnerState, PendingTurn
from bot.flows.cards import MENU, button, notice
from bot.flows.context import (
    AdvisorAnswered,
    AdvisorFailed,
    AskAdvisor,
    ClaimTurn,
    FlowContext,
    LogEntry,
    Outcome,
    RenewLease,
)
from bot.flows.flow import Flow
from bot.flows.units import continue_button

RECENT_KEPT = 5
QUEUE_KEPT = 3
"""Most messages kept while the advisor answers; beyond that the learner is asked to wait."""
RECENT_CHARS = 160
RESUME_TURNS = 6
"""Transcript lines `resume` shows in a lab: the last three exchanges."""
NOT_COUNTED = "_That message did not count as an exchange: ask a fuller question about your task._"
OPENER_AGAIN = "_Suggested openers count once per lab: ask in your own words to count this exchange._"
OFF_SUBJECT = "_That message was off the lab's subject, so it did not count as an exchange._"


def _lab(ctx: FlowContext, lab_id: str) -> tuple[Lesson, Lab]:
    found = ctx.module.lab(lab_id)
    assert found is not None
    return found


_NOT_BEGUN = LabResult()
"""The result of a lab without one yet: shared, as no part of a state is changed in place."""


def result(state: LearnerState, lab_id: str) -> LabResult:
    return state.progress.labs.get(lab_id) or _NOT_BEGUN


def _status_line(state: LearnerState, lab: Lab) -> str:
    done = result(state, lab.id)
    if done.done:
        return f"✅ Lab complete ({done.exchanges} exchanges). You may keep talking or move on."
    return f"Exchanges: {done.exchanges} of {lab.exchanges_required}"


def view(state: LearnerState, ctx: FlowContext, step: LabStep) -> tuple[Message, ...]:
    lesson, lab = _lab(ctx, step.lab_id)
    openers = tuple(button(state, opener, "say", str(i)) for i, opener in enumerate(lab.openers))
    intro = Message(
        heading=lab.title,
        blocks=(
            Paragraph(text=f"_{lab.mode_line}_" if lab.mode_line else ""),
            Paragraph(text=f"**Your task**\n{lab.task}"),
            AdvisorReply(advisor=lab.advisor, text=lab.greeting),
            Paragraph(text=f"Type your message, or press a suggested opener. {_status_line(state, lab)}"),
        ),
        choices=openers,
        actions=(*_done_actions(state, ctx, lab), MENU),
    )
    shown = (intro, *_so_far(ctx, lab))
    if step.pending:
        return (*shown, notice("The advisor is answering your last message…"))
    if step.retry_text:
        return (*shown, _failed_notice(state, "Your last message did not get an answer yet."))
    return shown


def _so_far(ctx: FlowContext, lab: Lab) -> tuple[Message, ...]:
    """The last few turns of the conversation, ending with the advisor's last reply in full."""
    if not ctx.transcript:
        return ()
    *earlier, last = ctx.transcript
    blocks: list[Block] = [
        Paragraph(text=f"**{'You' if turn.role == 'learner' else lab.advisor}:** {_short(turn.text)}")
        for turn in earlier
    ]
    if last.role == "advisor":
        blocks.append(AdvisorReply(advisor=lab.advisor, text=last.text))
    else:
        blocks.append(Paragraph(text=f"**You:** {_short(last.text)}"))
    return (Message(heading="Where you left off", blocks=tuple(blocks)),)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _done_actions(state: LearnerState, ctx: FlowContext, lab: Lab) -> tuple[Button, ...]:
    if not result(state, lab.id).done:
        return ()
    return continue_button(state, ctx.module, lab.id, ctx.now)


def _failed_notice(state: LearnerState, why: str) -> Message:
    text = "The advisor is unavailable right now; your message is kept. Try again in a moment."
    return notice(
        f"{why} {text}" if why else text,
        button(state, "Try again", "retry", primary=True),
        MENU,
    )


def open_unit(state: LearnerState, ctx: FlowContext, unit: Unit) -> Outcome:
    step = LabStep(lab_id=unit.id)
    new = state.advanced(step)
    return Outcome(state=new, messages=view(new, ctx, step))


def press(state: LearnerState, ctx: FlowContext, step: LabStep, event: Press) -> Outcome:
    lesson, lab = _lab(ctx, step.lab_id)
    if event.action == "say" and event.arg.isdigit() and int(event.arg) < len(lab.openers):
        return message(state, ctx, step, lab.openers[int(event.arg)], opener=True)
    if event.action == "retry" and step.retry_text:
        return message(state, ctx, step, step.retry_text)
    return Outcome.reply(notice("That button does nothing here.", MENU))


def message(
    state: LearnerState, ctx: FlowContext, step: LabStep, text: str, *, opener: bool = False
) -> Outcome:
    """First commit of a turn: store the learner's message as pending and ask for a reply.

    A message is one turn however many lines it has (a pasted block included). An opener, pressed
    or typed word for word, starts a conversation but counts at most once per lab, so a lab is
    only completed with messages in the learner's own words.
    """
    lesson, lab = _lab(ctx, step.lab_id)
    text = text.strip()
    opener = opener or normalise(text) in ctx.course.openers[lab.id]
    if not text:
        return Outcome.reply(notice("Type a message for the advisor."))
    limit = ctx.limits.max_message_chars
    if len(text) > limit:
        return Outcome.reply(
            notice(
                f"That message is {len(text):,} characters; the limit is {limit:,}. Please shorten it and send it again."
            )
        )
    if step.pending:
        return _queue(state, step, text)
    done = result(state, lab.id)
    if done.exchanges >= ctx.limits.lab_exchange_cap:
        return Outcome.reply(
            notice(
                f"This lab's conversation has reached its limit of {ctx.limits.lab_exchange_cap} exchanges.",
                *continue_button(state, ctx.module, lab.id, ctx.now),
                MENU,
            )
        )
    counted = is_substantive(text, step.recent) and not (opener and done.opener_counted)
    pending = PendingTurn(
        turn=step.turns + 1,
        text=text,
        counted=counted,
        owner=ctx.instance,
        asked_at=ctx.now,
        opener=opener,
        lease_until=ctx.now + ctx.lease_s,
    )
    raised: list[str] | None = None
    pieces: list[str] | None = None
    index = ctx.course.indexes.of(lesson)
    if not opener and on_subject(index, text):
        raised = recap.merge(step.raised, recap.topics_in(index, text))
        if lab.design is not None:
            pieces = recap.merge(step.pieces, recap.pieces_in(lab.design, text), cap=len(lab.design.pieces))
    recent = [*step.recent, text[:RECENT_CHARS]][-RECENT_KEPT:]
    new_step = step.asking(pending, recent=recent, raised=raised, pieces=pieces)
    return Outcome(state=state.with_step(new_step), job=AskAdvisor(lab_id=lab.id, turn=step.turns + 1))


def _queue(state: LearnerState, step: LabStep, text: str) -> Outcome:
    """A message typed while the advisor is still answering: kept, and asked next."""
    if len(step.queued) >= QUEUE_KEPT:
        return Outcome.reply(
            notice(
                f"One moment: the advisor is still answering, and {len(step.queued)} more of your "
                "messages are waiting. Please send this one again once it has answered."
            )
        )
    return Outcome(
        state=state.with_step(step.queuing(text)),
        messages=(
            notice("Got it: the advisor is still answering your last message, and will take this one next."),
        ),
    )


def _ask_next(reply: Outcome, ctx: FlowContext) -> Outcome:
    """After a reply, the oldest waiting message becomes the next pending turn, in the same commit."""
    state = reply.state
    assert state is not None and isinstance(state.step, LabStep)
    step = state.step
    if not step.queued:
        return reply
    after = state.with_step(step.dequeued())
    follow = message(after, ctx, step.dequeued(), step.queued[0])
    return replace(
        reply, state=follow.state or after, messages=reply.messages + follow.messages, job=follow.job
    )


def renew(state: LearnerState, ctx: FlowContext, step: LabStep, event: RenewLease) -> Outcome:
    """The owner is still streaming the reply: nobody may take the turn over for a while yet."""
    pending = step.pending
    if not pending or pending.turn != event.turn or pending.owner != ctx.instance:
        return Outcome(state=None)  # answered, or taken over: nothing of ours to renew
    return Outcome(state=state.with_step(step.claimed(pending.renewed(ctx.now + ctx.lease_s, event.draft))))


def completes_lab(state: LearnerState, lab: Lab, pending: PendingTurn, on_topic: bool = True) -> bool:
    done = result(state, lab.id)
    counted = pending.counted and on_topic
    return counted and not done.done and done.exchanges + 1 >= lab.exchanges_required


def advisor_request(
    state: LearnerState, ctx: FlowContext, actor: Actor, history: tuple[Turn, ...]
) -> AdvisorRequest:
    """What the advisor is given for the pending turn of the lab the learner is in."""
    step = state.step
    assert isinstance(step, LabStep) and step.pending is not None
    lesson, lab = _lab(ctx, step.lab_id)
    pending = step.pending
    return AdvisorRequest(
        actor=actor,
        lesson=lesson,
        lab=lab,
        history=history,
        message=pending.text,
        counted=pending.counted,
        completes_lab=completes_lab(state, lab, pending),
        earlier_messages=tuple(step.recent[:-1]),
        turn=pending.turn,
        opener=pending.opener,
        lab_done=result(state, lab.id).done,
        first_in_lab=result(state, lab.id).replies == 0,
        raised=tuple(step.raised),
        pieces=tuple(step.pieces),
    )


def claim(state: LearnerState, ctx: FlowContext, step: LabStep, event: ClaimTurn) -> Outcome:
    """Take over an orphaned pending turn, so exactly one engine instance answers it."""
    if not step.pending or step.pending.turn != event.turn:
        return Outcome(state=None)
    new = state.with_step(step.claimed(step.pending.claimed(ctx.instance, ctx.now, ctx.now + ctx.lease_s)))
    return Outcome(state=new, job=AskAdvisor(lab_id=step.lab_id, turn=event.turn))


def answered(state: LearnerState, ctx: FlowContext, step: LabStep, event: AdvisorAnswered) -> Outcome:
    """Second commit of a turn: the reply and both transcript lines, together."""
    if not step.pending or step.pending.turn != event.turn:
        return Outcome(state=None)  # answered already (by this or another instance)
    lesson, lab = _lab(ctx, step.lab_id)
    pending = step.pending
    counted = pending.counted and event.on_topic
    finishing = completes_lab(state, lab, pending, event.on_topic)
    before = result(state, lab.id)
    lab_result = LabResult(
        exchanges=before.exchanges + int(counted),
        done=before.done or finishing,
        opener_counted=before.opener_counted or (pending.opener and counted),
        replies=before.replies + 1,
    )
    # The step token stays: the lab card's opener buttons remain usable for the whole conversation.
    new = state.with_step(step.replied(), state.progress.with_lab(lab.id, lab_result))
    log: list[LogEntry] = [{"kind": "lab_turn", "lab": lab.id, "turn": event.turn, "counted": counted}]
    if finishing:
        log.append({"kind": "lab_done", "lab": lab.id, "exchanges": lab_result.exchanges})
    blocks: list[Block] = [
        AdvisorReply(advisor=lab.advisor, text=event.text, turn=event.turn, offline=event.offline)
    ]
    if not counted and not before.done:
        note = OFF_SUBJECT if not event.on_topic else OPENER_AGAIN if pending.opener else NOT_COUNTED
        blocks.append(Paragraph(text=note))
    cap = ctx.limits.lab_exchange_cap
    if counted and lab_result.exchanges >= cap:
        blocks.append(
            Paragraph(text=f"_That was the last exchange of this lab's conversation (its limit is {cap})._")
        )
    blocks.append(Paragraph(text=f"_{_status_line(new, lab)}_"))
    actions = (*_done_actions(new, ctx, lab), MENU) if finishing else ()
    reply = Outcome(
        state=new,
        messages=(Message(blocks=tuple(blocks), actions=actions),),
        log=tuple(log),
        transcript=(Turn(role="learner", text=pending.text), Turn(role="advisor", text=event.text)),
        lab_id=lab.id,
    )
    return _ask_next(reply, ctx)


def failed(state: LearnerState, ctx: FlowContext, step: LabStep, event: AdvisorFailed) -> Outcome:
    """The advisor gave up: the turn does not count, the message is kept for a retry."""
    if not step.pending or step.pending.turn != event.turn:
        return Outcome(state=None)
    new = state.with_step(step.failed())
    why = "" if event.retryable else "The advisor cannot answer today."
    message = _failed_notice(new, why) if event.retryable else notice(why + " Your message is kept.", MENU)
    return Outcome(
        state=new, messages=(message,), log=({"kind": "lab_failed", "lab": step.lab_id, "turn": event.turn},)
    )


def _unit_id(step: LabStep, module: Module) -> str:
    return step.lab_id


FLOW = Flow(
    step=LabStep,
    unit_kind=UnitKind.LAB,
    unit_id=_unit_id,
    open=open_unit,
    view=view,
    press=press,
    resumes=lambda step, ctx: True,  # the conversation goes on where it was
)
