"""The engine: load state, apply the pure transition, commit once, deliver, run slow jobs after.

One event is one atomic commit guarded by the record's revision. The engine keeps the last
record it saw of each learner in a small LRU cache, so a state-changing event usually costs
one Redis round trip (the guarded commit); a conflict returns the winning record and the event
is re-applied to it. Read-only events (help, resume, a stale button) always load afresh, so
several processes never show an outdated step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from bot import cancellation
from bot.advisor.base import Advisor, AdvisorUnavailable, Turn
from bot.course.models import Module
from bot.domain.codec import StateEncoder, UnreadableState, decode
from bot.domain.events import Actor, Command, Event, Press, is_navigation
from bot.domain.facilitation import FacilitatorEvent
from bot.domain.messages import DraftPlace, Message, ReplyProgress
from bot.domain.outbox import Outbox
from bot.domain.state import LabStep, LearnerState
from bot.flows import facilitation, router
from bot.flows import lab as lab_flow
from bot.flows.cards import RESUME, notice
from bot.flows.compiled import CompiledModule
from bot.flows.context import (
    AdvisorAnswered,
    AdvisorFailed,
    AnyEvent,
    AskAdvisor,
    ClaimTurn,
    FlowContext,
    Limits,
    LogEntry,
    Outcome,
    RenewLease,
)
from bot.logs import RepeatedFailures
from bot.storage.base import CommitUncertain, CorruptRecord, LearnerStore, Stored, StoreUnavailable

log = logging.getLogger("tutorbot.engine")

UNREADABLE_NOTICE = (
    "Sorry: your saved progress could not be read, so it has been set aside for a facilitator to "
    "look at, and you are starting afresh."
)
INTERNAL_ERROR_NOTICE = "Something went wrong on our side. Your progress is safe: type `resume` to carry on."
UNAVAILABLE_NOTICE = (
    "The course is briefly unavailable. Nothing you have done is lost: please try again in a minute."
)
UNCERTAIN_NOTICE = (
    "The course did not answer in time, so this may have been saved; type `resume` to see where you are."
)


@dataclass(frozen=True)
class Facilitated:
    """What a facilitator's event did: `refusal` says why it changed nothing (said of the
    learner: "has already passed the module test."); `state` is the learner's record after."""

    applied: bool
    refusal: str | None
    state: LearnerState | None


class ConflictStorm(RuntimeError):
    """Too many concurrent writers for one learner; the event was not applied."""


@dataclass(frozen=True)
class EngineConfig:
    limits: Limits = Limits()
    history_turns: int = 12
    """Most transcript lines an advisor is given (it asks for its own number, `history_lines`;
    the transcript key itself keeps more)."""
    lease_s: float = 15.0
    """How long a lab turn's owner is trusted without renewing its lease: a turn whose lease has
    run out is taken over by the next instance that sees it (on the learner's next event, or a
    `sweep`)."""
    renew_every_s: float = 5.0
    """How often the owner renews the lease while the reply streams (well under `lease_s`)."""
    max_attempts: int = 16
    cache_size: int = 10_000


class Engine:
    def __init__(
        self,
        module: Module | CompiledModule,
        store: LearnerStore,
        advisor: Advisor,
        config: EngineConfig = EngineConfig(),
        *,
        clock: Callable[[], float] = time.time,
        instance: str | None = None,
    ) -> None:
        """`module` is compiled here unless the runtime already compiled it (to share its
        lesson indexes with the offline advisor)."""
        self.course = module if isinstance(module, CompiledModule) else CompiledModule.of(module)
        module = self.course.module
        self.store = store
        self.advisor = advisor
        self.config = config
        self.clock = clock
        self.name = instance or uuid.uuid4().hex[:12]
        """This process's lasting name (see `sweep`)."""
        self.instance = f"{self.name}/{uuid.uuid4().hex[:6]}"
        """Owner of the lab turns this process starts: its name, and this run of it."""
        self._cache: OrderedDict[Actor, tuple[Stored, LearnerState]] = OrderedDict()
        self._encode = StateEncoder(config.cache_size)
        self._inflight: set[tuple[Actor, int]] = set()
        self._lab_ids = tuple(lesson.lab.id for lesson in module.lessons)
        self._failures = RepeatedFailures(log)
        self.pass_listeners: list[PassListener] = []
        """Run after the commit of a first pass (see `_passed`); adapters add theirs."""

    @property
    def module(self) -> Module:
        return self.course.module

    def context(self, actor: Actor, transcript: tuple[Turn, ...] = ()) -> FlowContext:
        return FlowContext(
            transcript=transcript,
            course=self.course,
            actor=actor,
            now=self.clock(),
            limits=self.config.limits,
            instance=self.instance,
            lease_s=self.config.lease_s,
        )

    async def handle(self, event: Event, outbox: Outbox) -> None:
        """Apply one event for its learner and deliver the answers. Never raises for bad input."""
        actor = event.actor
        try:
            outcome, state, tail = await self._apply(actor, event, outbox, fresh=False)
            if outcome.job and state:
                await self._ask_advisor(actor, state, outcome.job, tail, outbox)
            elif state is not None and isinstance(state.step, LabStep) and state.step.pending:
                await self._recover_orphan(actor, state, outbox)
        except CommitUncertain as exc:
            # The write may land when Redis answers again: the cached record can no longer be
            # trusted, and the learner must not be told it failed.
            self._cache.pop(actor, None)
            self._failures.failed(_failed(event), exc, traceback=False)
            await outbox.send(actor, [notice(UNCERTAIN_NOTICE, RESUME)])
        except StoreUnavailable as exc:
            self._failures.failed(_failed(event), exc, traceback=False)
            await outbox.send(actor, [notice(UNAVAILABLE_NOTICE)])
        except Exception as exc:
            self._failures.failed(_failed(event), exc)
            await self._after_failure(actor, outbox)

    async def _after_failure(self, actor: Actor, outbox: Outbox) -> None:
        """Answer an event that failed unexpectedly, without ever pointing at a `resume` that
        cannot work: when showing the learner's step fails too, the record is what is broken,
        so it is set aside and the learner starts afresh."""
        self._cache.pop(actor, None)
        try:
            loaded = await self._load(actor, outbox)
            if loaded is not None:
                router.view(loaded[1], self.context(actor))
        except StoreUnavailable:
            await outbox.send(actor, [notice(UNAVAILABLE_NOTICE)])
            return
        except Exception as exc:
            log.warning("quarantining the record of %s: resume fails with %s", actor, type(exc).__name__)
            await self._quarantine(actor, f"resume fails: {type(exc).__name__}")
            await outbox.send(actor, [notice(UNREADABLE_NOTICE)])
            await self.handle(Command(actor=actor, name="start"), outbox)
            return
        await outbox.send(actor, [notice(INTERNAL_ERROR_NOTICE, RESUME)])

    async def _quarantine(self, actor: Actor, reason: str) -> None:
        self._cache.pop(actor, None)
        await self.store.quarantine(actor, reason, labs=self._lab_ids)

    async def facilitate(self, event: FacilitatorEvent, outbox: Outbox) -> Facilitated:
        """Apply a facilitator's event to the learner's record, in the same guarded commit loop
        as a learner's click; the learner is told through `outbox`. Raises `ConflictStorm` when
        it cannot commit."""
        outcome, state, _ = await self._apply(event.actor, event, outbox, fresh=True)
        if outcome.state is not None:
            return Facilitated(applied=True, refusal=None, state=state)
        return Facilitated(
            applied=False, refusal=facilitation.refusal(state, event, self.module), state=state
        )

    async def known(self, actor: Actor) -> bool:
        """Whether the learner has a record. Any event enrols a newcomer, so an adapter that
        must only look (a Home tab anyone may open) asks this first."""
        try:
            return await self.store.load(actor) is not None
        except CorruptRecord:
            return True  # a record exists; the next event sets it aside and says so
        except StoreUnavailable:
            return True  # let the event be tried: it answers that the course is unavailable

    async def reads_text(self, actor: Actor) -> bool:
        """Whether the learner's step takes what they type as their own words (a lab), so a
        typed word that is a command elsewhere (`pause`) is theirs there. Read afresh: another
        process may have moved them."""
        try:
            state = self._decode_or_none(await self.store.load(actor))
        except (CorruptRecord, StoreUnavailable):
            return False  # the event itself then meets the record, or the outage, and says so
        return state is not None and router.reads_text(state)

    async def recover(self, actor: Actor, outbox: Outbox) -> None:
        """Finish a lab turn left unanswered by a process that died (the terminal, which is the
        only process of its learner, calls this at start-up)."""
        stored = await self._load(actor, outbox)
        state = stored[1] if stored else None
        if state and isinstance(state.step, LabStep) and state.step.pending:
            await self._claim(actor, state.step.pending.turn, outbox)

    async def sweep(self, deliver: Deliver, *, startup: bool = False) -> int:
        """Take over the lab turns of processes that are gone; returns how many were taken.

        A turn whose lease has run out is taken by whichever instance sweeps (or sees an event of
        its learner) first; the claim is a revision-checked commit, so exactly one wins. At
        start-up an instance also takes, without waiting for their leases, the turns it owned
        under its name before it stopped: nothing of it is answering them any more.
        `deliver(actor, call)` runs `call` with an outbox that reaches the learner (their DM).
        """
        now = self.clock()
        candidates = await self.store.open_turns(leased_before=None if startup else now)
        taken = 0
        for actor in candidates:
            loaded = await self._load(actor, _SILENT)
            step = loaded[1].step if loaded else None
            if not isinstance(step, LabStep) or step.pending is None:
                await self.store.forget_turn(actor)
                continue
            pending = step.pending
            if (actor, pending.turn) in self._inflight:
                continue
            before_restart = startup and pending.owner.partition("/")[0] == self.name
            if pending.lease_until > now and not before_restart:
                continue
            taken += 1

            async def finish(outbox: Outbox, actor: Actor = actor, turn: int = pending.turn) -> None:
                await self._claim(actor, turn, outbox)

            await deliver(actor, finish)
        return taken

    # --- the commit loop -------------------------------------------------------------------

    async def _apply(
        self, actor: Actor, event: AnyEvent, outbox: Outbox, *, fresh: bool
    ) -> tuple[Outcome, LearnerState | None, list[bytes]]:
        """Apply `event` until it commits (or needs no commit); deliver its messages.

        Returns the outcome, the learner's state after it, and the transcript tail when the
        outcome asks the advisor.
        """
        notes: list[Message] = []
        record: Stored | None
        state: LearnerState | None
        cached = None if fresh or not _writes(event) else self._cache.get(actor)
        if cached is not None:
            record, state = cached
        else:
            loaded = await self._load(actor, outbox)
            record, state = (loaded[0], loaded[1]) if loaded else (None, None)
        shown = await self._conversation(actor, event, state) if isinstance(event, Command) else ()
        for _ in range(self.config.max_attempts):
            ctx = self.context(actor, shown)
            outcome = router.apply(state, event, ctx)
            if outcome.state is None and cached is not None:
                # A reply without a change may rest on an outdated cached record (a button
                # "from an earlier step" may be from a step another process moved to): reload.
                cached = None
                loaded = await self._load(actor, outbox)
                record, state = (loaded[0], loaded[1]) if loaded else (None, None)
                continue
            if outcome.state is None:
                await outbox.send(actor, (*notes, *outcome.messages))
                return outcome, state, []
            data = self._encode(outcome.state, actor)
            try:
                result = await self.store.commit(
                    actor,
                    record,
                    data,
                    log=[_log_entry(entry, ctx.now) for entry in outcome.log],
                    lab_id=outcome.lab_id or (outcome.job.lab_id if outcome.job else None),
                    transcript=[_TURN.to_json(turn) for turn in outcome.transcript],
                    read_transcript=min(self.advisor.history_lines, self.config.history_turns)
                    if outcome.job
                    else 0,
                )
            except CorruptRecord as exc:
                # A key the commit touches is broken (a log or transcript of the wrong type):
                # every later commit would fail the same way, so everything is set aside.
                log.warning("quarantining the keys of %s: %s", actor, exc)
                await self._quarantine(actor, str(exc))
                record, state, cached, notes = None, None, None, [notice(UNREADABLE_NOTICE)]
                continue
            if result.ok and result.current is not None:
                self._remember(actor, result.current, outcome.state)
                await outbox.send(actor, (*notes, *outcome.messages))
                if outcome.state.progress.passed and not (state is not None and state.progress.passed):
                    await self._passed(actor, outcome.state)
                return outcome, outcome.state, result.transcript
            record, cached = result.current, None
            state = self._decode_or_none(record)
            if record is not None and state is None:
                # The winning record is unreadable: set it aside and start this learner afresh.
                await self._quarantine(actor, "unreadable record on conflict")
                record, notes = None, [notice(UNREADABLE_NOTICE)]
        self._cache.pop(actor, None)
        raise ConflictStorm(f"gave up after {self.config.max_attempts} conflicting writes for {actor}")

    async def _passed(self, actor: Actor, state: LearnerState) -> None:
        """The pass is committed: what listeners do with it (a role) can only fail on its own."""
        for listener in self.pass_listeners:
            try:
                await listener(actor, state)
            except Exception as exc:
                self._failures.failed(f"pass listener failed for {actor}", exc)

    async def _conversation(
        self, actor: Actor, event: AnyEvent, state: LearnerState | None
    ) -> tuple[Turn, ...]:
        """For `resume` (or `start`) in a lab, the end of its conversation, to show it again."""
        if not isinstance(event, Command) or event.name not in ("resume", "start"):
            return ()
        if state is None or not isinstance(state.step, LabStep):
            return ()
        lines = await self.store.transcript(actor, state.step.lab_id, lab_flow.RESUME_TURNS)
        return _parse_turns(lines)

    async def _load(self, actor: Actor, outbox: Outbox) -> tuple[Stored, LearnerState] | None:
        try:
            record = await self.store.load(actor)
            if record is None:
                self._cache.pop(actor, None)
                return None
            state = router.repair(decode(record.data), self.module)
        except (UnreadableState, CorruptRecord) as exc:
            log.warning("quarantining unreadable state of %s: %s", actor, exc)
            await self._quarantine(actor, str(exc))
            await outbox.send(actor, [notice(UNREADABLE_NOTICE)])
            return None
        self._remember(actor, record, state)
        return record, state

    def _decode_or_none(self, record: Stored | None) -> LearnerState | None:
        if record is None:
            return None
        try:
            return router.repair(decode(record.data), self.module)
        except UnreadableState:
            return None

    def _remember(self, actor: Actor, record: Stored, state: LearnerState) -> None:
        """Keep the last record seen (and its decoded state, never changed in place)."""
        self._cache[actor] = (record, state)
        self._cache.move_to_end(actor)
        while len(self._cache) > self.config.cache_size:
            self._cache.popitem(last=False)

    # --- lab turns: the slow part, outside any commit ------------------------------------------

    async def _ask_advisor(
        self, actor: Actor, state: LearnerState, job: AskAdvisor, tail: list[bytes], outbox: Outbox
    ) -> None:
        step = state.step
        assert isinstance(step, LabStep) and step.pending is not None
        found = self.module.lab(job.lab_id)
        assert found is not None  # the pending turn's lab is the learner's current step, repaired on load
        lesson, lab = found
        request = lab_flow.advisor_request(state, self.context(actor), actor, _parse_turns(tail))

        left = step.pending.draft
        draft = _DraftNote(left)
        advisor, turn = lab.advisor, job.turn

        async def on_delta(text: str) -> None:
            place = await outbox.progress(
                actor, ReplyProgress(advisor=advisor, text=text, turn=turn, draft=left)
            )
            if place is not None:
                draft.saw(place)

        self._inflight.add((actor, turn))
        await self.store.note_turn(actor, step.pending.lease_until)
        renewing = _LeaseKeeper(self.config.renew_every_s, lambda: self._keep_lease(actor, turn, draft))
        draft.on_move = renewing.start
        if left is not None:
            await on_delta("")  # a turn taken over: its stream goes on in the draft left behind
        try:
            reply = await self.advisor.reply(request, on_delta)
            result: AdvisorAnswered | AdvisorFailed = AdvisorAnswered(
                turn=turn, text=reply.text, offline=reply.offline, on_topic=reply.on_topic
            )
        except AdvisorUnavailable as exc:
            log.warning("advisor unavailable for %s turn %s: %s", actor, turn, exc)
            result = AdvisorFailed(turn=turn, reason=str(exc), retryable=exc.retryable)
        except Exception:
            log.exception("advisor failed for %s turn %s", actor, turn)
            result = AdvisorFailed(turn=turn, reason="advisor error", retryable=True)
        finally:
            await renewing.stop()
            # The keeper's renewals hold the draft and the draft held the keeper: unlinked, both
            # are freed now by reference counting instead of waiting for the collector.
            draft.on_move = _nothing
            self._inflight.discard((actor, turn))
        outcome, after, tail = await self._apply(actor, result, outbox, fresh=False)
        if outcome.job and after:
            # A message typed meanwhile was waiting: it is the next turn, asked at once.
            await self._ask_advisor(actor, after, outcome.job, tail, outbox)
        elif after is None or not isinstance(after.step, LabStep) or after.step.pending is None:
            await self.store.forget_turn(actor)

    async def _keep_lease(self, actor: Actor, turn: int, draft: _DraftNote) -> None:
        """Renew the lease on a turn now, then every `renew_every_s` while its reply is being
        fetched, so that a slow but healthy stream is never taken over by another instance; and
        as soon as the reply's draft is posted (or moves), keep where it is with the turn."""
        while True:
            draft.moved.clear()
            event = RenewLease(turn=turn, draft=draft.place)
            try:
                outcome, state, _ = await self._apply(actor, event, _SILENT, fresh=False)
                if outcome.state is None or state is None:
                    return  # answered or taken over meanwhile
                if isinstance(state.step, LabStep) and state.step.pending is not None:
                    await self.store.note_turn(actor, state.step.pending.lease_until)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next renewal may work: the lease leaves room for it
                self._failures.failed(f"lease renewal failed for {actor}", exc, traceback=False)
            cancellation.raise_if_stopping()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.renew_every_s):
                    await draft.moved.wait()

    async def _recover_orphan(self, actor: Actor, state: LearnerState, outbox: Outbox) -> None:
        """A pending turn whose owner is gone (its lease ran out) is asked again, once."""
        step = state.step
        if not isinstance(step, LabStep) or step.pending is None:
            return
        pending = step.pending
        if (actor, pending.turn) in self._inflight:
            return
        if pending.owner != self.instance and self.clock() < pending.lease_until:
            return  # its owner is alive and still answering
        await self._claim(actor, pending.turn, outbox)

    async def _claim(self, actor: Actor, turn: int, outbox: Outbox) -> None:
        outcome, state, tail = await self._apply(actor, ClaimTurn(turn=turn), outbox, fresh=True)
        if outcome.job and state:
            await self._ask_advisor(actor, state, outcome.job, tail, outbox)


def _nothing() -> None:
    return None


class _DraftNote:
    """Where a turn's reply is being streamed, as the outbox last said; `moved` is set (and
    `on_move` called) when that differs from what the learner's record holds."""

    def __init__(self, kept: DraftPlace | None) -> None:
        self.place = kept
        self.moved = asyncio.Event()
        self.on_move: Callable[[], None] = _nothing

    def saw(self, place: DraftPlace | None) -> None:
        if place is not None and place != self.place:
            self.place = place
            self.moved.set()
            self.on_move()


class _LeaseKeeper:
    """Runs `renewals` (the loop renewing a turn's lease) only once it is needed: when the reply
    takes longer than `first_after_s`, or when `start` is called (its draft was posted). Most
    replies come well before that, and then no task or timer but one cheap timer handle is made."""

    def __init__(self, first_after_s: float, renewals: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._renewals = renewals
        self._task: asyncio.Task[None] | None = None
        self._timer = asyncio.get_running_loop().call_later(first_after_s, self.start)

    def start(self) -> None:
        if self._task is None:
            self._timer.cancel()
            self._task = asyncio.get_running_loop().create_task(self._renewals())

    async def stop(self) -> None:
        self._timer.cancel()
        if self._task is not None:
            await cancellation.stop(self._task)


Deliver = Callable[[Actor, Callable[[Outbox], Awaitable[None]]], Awaitable[None]]
PassListener = Callable[[Actor, LearnerState], Awaitable[None]]
"""Told once a learner's first pass of the module test is committed (a completion role)."""
"""How an adapter runs engine work for a learner it has no event from (see `Engine.sweep`)."""


class _SilentOutbox:
    """For the engine's own bookkeeping (lease renewals, sweeps), which has nothing to say."""

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        if messages:
            log.info("dropped %d message(s) of bookkeeping for %s", len(messages), actor)

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        return None


_SILENT = _SilentOutbox()

_TURNS = TypeAdapter(tuple[Turn, ...])
_TURN = Turn.__pydantic_serializer__  # `model_dump_json`, as bytes at once


def _parse_turns(lines: list[bytes]) -> tuple[Turn, ...]:
    """Transcript lines as turns, parsed in one call (they come back on every lab turn)."""
    return _TURNS.validate_json(b"[" + b",".join(lines) + b"]") if lines else ()


def _failed(event: Event) -> str:
    return f"event {event.kind} failed for {event.actor}"


def _writes(event: AnyEvent) -> bool:
    """Whether an event may change state (then the cached record is tried first)."""
    if isinstance(event, Command):
        return False
    return not (isinstance(event, Press) and is_navigation(event.action))


def _log_entry(entry: LogEntry, now: float) -> bytes:
    return to_json({"t": round(now, 3), **entry})  # compact JSON, and fast: this runs per event
