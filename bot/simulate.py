"""`tutorbot simulate`: many simulated learners take the whole module at once, through the engine.

Each learner acts only on what it is shown (the buttons and their step tokens), like a person:
reads every lesson card, answers quizzes (correct with probability `accuracy`), talks with the
lab advisor, and sits the module test, retaking it while attempts remain. At the end every
learner's stored event log is checked against the answers actually sent: a lost or duplicated
update shows up as a mismatch. The last line printed is a JSON summary.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bot.cohorts.models import Cohort, CohortSettings, RosterEntry, Tenant
from bot.cohorts.store import AsyncRedis, CohortStore
from bot.course.models import Module, Question
from bot.domain.events import Actor, Command, Press, Text
from bot.domain.messages import Message
from bot.domain.outbox import CollectingOutbox
from bot.engine.engine import INTERNAL_ERROR_NOTICE, Engine
from bot.storage.base import LearnerStore
from bot.storage.keys import KeyBuilder

LAB_QUESTIONS = (
    "What does a typical week look like for someone in this role?",
    "Which skills or tools should I focus on first, and why do they matter?",
    "How would I show an employer that I can already do this kind of work?",
)


async def enrol_simulated(
    redis: AsyncRedis, keys: KeyBuilder, engine: Engine, tenant: Tenant, name: str, learners: int
) -> list[Actor] | None:
    """Learners `sim-0`, `sim-1`, … of `tenant`, enrolled in cohort `name` (made when missing);
    None when `name` cannot name a cohort."""
    store = CohortStore(redis, keys)
    now = time.time()
    if await store.get(tenant, name) is None:
        test = engine.module.test
        try:
            made = Cohort(
                name=name,
                created_by="simulate",
                created_at=now,
                settings=CohortSettings(
                    test_attempts=test.max_attempts, cooldown_minutes=test.cooldown_minutes
                ),
            )
        except ValueError:
            return None
        await store.create(tenant, made)
    users = [f"sim-{i}" for i in range(learners)]
    entries = [
        RosterEntry(user=user, name=f"Simulated learner {i}", enrolled_at=now, enrolled_by="simulate")
        for i, user in enumerate(users)
    ]
    await store.enrol(tenant, name, entries)
    return [Actor(platform=tenant.platform, tenant=tenant.tenant, user=user) for user in users]


@dataclass
class LearnerRun:
    actor: Actor
    events: int = 0
    errors: int = 0
    sent_answers: list[tuple[str, str]] = field(default_factory=list)
    """(question id, option id) of every answer press that was accepted."""
    completed: bool = False
    passed: bool = False


def question_stems(module: Module) -> dict[str, Question]:
    """Every question of the module by the paragraph that shows its stem (`**stem**`)."""
    questions = [*module.test.questions, *(q for lesson in module.lessons for q in lesson.quiz.questions)]
    return {f"**{q.stem}**": q for q in questions}


class SimulatedLearner:
    def __init__(
        self, engine: Engine, module: Module, actor: Actor, rng: random.Random, accuracy: float
    ) -> None:
        self.engine, self.module, self.rng, self.accuracy = engine, module, rng, accuracy
        self.run = LearnerRun(actor)
        self.outbox = CollectingOutbox()
        self.shown: list[Message] = []
        self.stems = question_stems(module)

    async def _send(self, event: Command | Press | Text) -> list[Message]:
        self.run.events += 1
        await self.engine.handle(event, self.outbox)
        self.shown = self.outbox.take()
        for message in self.shown:
            if message.notice and any(
                getattr(b, "text", "") == INTERNAL_ERROR_NOTICE for b in message.blocks
            ):
                self.run.errors += 1
        return self.shown

    async def press(self, action: str, arg: str = "") -> list[Message]:
        """Press the shown button with this action (and arg), carrying the token it shows."""
        for message in reversed(self.shown):
            for button in message.buttons:
                if button.action == action and (not arg or button.arg == arg):
                    return await self._send(
                        Press(actor=self.run.actor, action=action, arg=arg, token=button.token)
                    )
        # Not on screen (e.g. a unit reached from the menu): open the menu first, like a person would.
        await self._send(Command(actor=self.run.actor, name="menu"))
        for message in self.shown:
            for button in message.buttons:
                if button.action == action and (not arg or button.arg == arg):
                    return await self._send(
                        Press(actor=self.run.actor, action=action, arg=arg, token=button.token)
                    )
        self.run.errors += 1
        return []

    async def answer(self, question: Question) -> None:
        right = self.rng.random() < self.accuracy
        wrong = [o for o in question.options if not o.correct]
        option = question.correct_option if right else self.rng.choice(wrong)
        before = len(self.run.sent_answers)
        shown = await self.press("answer", option.id)
        if shown and not shown[0].notice:
            self.run.sent_answers.append((question.id, option.id))
        if len(self.run.sent_answers) == before:
            self.run.errors += 1

    async def practise(self) -> None:
        """The practice round a failed attempt asks for before the retake."""
        await self.press("practice")
        while any(b.action == "answer" for m in self.shown for b in m.buttons):
            question = self.shown_question()
            if question is None:
                self.run.errors += 1
                return
            await self.answer(question)

    def shown_question(self) -> Question | None:
        """Which question the last card asks, recognised by its bold stem."""
        for message in reversed(self.shown):
            if message.choices:
                for block in message.blocks:
                    question = self.stems.get(getattr(block, "text", ""))
                    if question is not None:
                        return question
        return None

    async def take_module(self) -> LearnerRun:
        await self._send(Command(actor=self.run.actor, name="start"))
        for lesson in self.module.lessons:
            if not any(b.action == "next" for m in self.shown for b in m.buttons):
                await self.press("open", lesson.id)
            while any(b.action == "next" for m in self.shown for b in m.buttons):
                await self.press("next")
            await self.press("open", lesson.quiz.id)
            for _ in lesson.quiz.questions:
                question = self.shown_question()
                if question is None:
                    self.run.errors += 1
                    break
                await self.answer(question)
            await self.press("open", lesson.lab.id)
            for text in LAB_QUESTIONS[: lesson.lab.exchanges_required]:
                await self._send(Text(actor=self.run.actor, text=text))
        await self.press("open", self.module.test.id)
        for attempt in range(self.module.test.max_attempts):
            retake = "retake"
            if attempt and any(b.action == "practice" for m in self.shown for b in m.buttons):
                await self.practise()
                retake = "begin"  # the practice round ends at the test's intro
            await self.press("begin" if attempt == 0 else retake)
            for _ in self.module.test.questions:
                question = self.shown_question()
                if question is None:
                    self.run.errors += 1
                    break
                await self.answer(question)
            if any(m.heading and "Passed" in m.heading for m in self.shown):
                self.run.passed = True
                break
        self.run.completed = True
        return self.run


async def check_consistency(store: LearnerStore, runs: list[LearnerRun]) -> dict[str, int | bool]:
    """Compare each learner's stored answers with the answers it sent."""
    lost = duplicated = 0
    for run in runs:
        entries = [json.loads(raw) for raw in await store.log(run.actor, 10_000)]
        answers = ("answer", "test_answer", "practice_answer")
        stored = [(e["question"], e["option"]) for e in entries if e.get("kind") in answers]
        sent = run.sent_answers
        for pair in set(sent) | set(stored):
            diff = stored.count(pair) - sent.count(pair)
            lost += max(0, -diff)
            duplicated += max(0, diff)
    return {
        "learners_checked": len(runs),
        "lost_updates": lost,
        "duplicated_updates": duplicated,
        "ok": lost == 0 and duplicated == 0,
    }


async def simulate(
    engine: Engine,
    store: LearnerStore,
    learners: int,
    accuracy: float,
    seed: int,
    actors: list[Actor] | None = None,
    spread: float = 0.0,
) -> dict[str, Any]:
    """`actors` names the learners (default: a fresh `sim` tenant); with `spread`, each learner's
    accuracy is drawn around `accuracy` with that standard deviation, as abilities in a real
    cohort differ (what item analysis needs to tell strong and weak learners apart)."""
    rng = random.Random(seed)
    tenant = f"sim-{seed}-{int(time.time() * 1000)}"
    if actors is None:
        actors = [Actor(platform="sim", tenant=tenant, user=f"learner-{i}") for i in range(learners)]
    sims = []
    for actor in actors:
        own = min(1.0, max(0.0, rng.gauss(accuracy, spread))) if spread else accuracy
        sims.append(SimulatedLearner(engine, engine.module, actor, random.Random(rng.random()), own))
    started = time.perf_counter()
    runs = list(await asyncio.gather(*(sim.take_module() for sim in sims)))
    elapsed = time.perf_counter() - started
    events = sum(run.events for run in runs)
    return {
        "learners": learners,
        "completed": sum(run.completed for run in runs),
        "passed": sum(run.passed for run in runs),
        "events": events,
        "errors": sum(run.errors for run in runs),
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed, 1) if elapsed else None,
        "consistency": await check_consistency(store, runs),
    }


COHORT_SPREAD = 0.15
"""How far simulated learners' accuracies spread around `--accuracy` in a `--cohort` run."""


async def run_simulation(
    learners: int, accuracy: float, seed: int, cohort: str | None = None, tenant: str = "sim:local"
) -> int:
    """With `cohort`, the learners are enrolled in that cohort of `tenant` (created when
    missing) and kept in the bot's own Redis, so `tutorbot cohort … --tenant` can be tried on them."""
    from bot.runtime import open_runtime
    from bot.settings import Settings

    settings = Settings()
    place: Tenant | None = None
    if cohort is not None:
        platform, _, tenant_id = tenant.partition(":")
        try:
            place = Tenant.model_validate({"platform": platform, "tenant": tenant_id})
        except ValueError:
            print("Name the tenant as --tenant PLATFORM:TENANT, for example sim:local or slack:T0123ABCD.")
            return 2
    async with open_runtime(settings, ephemeral=place is None and not settings.redis_url) as runtime:
        if place is None:
            summary = await simulate(runtime.engine, runtime.store, learners, accuracy, seed)
        else:
            assert cohort is not None
            enrolled = await enrol_simulated(
                runtime.redis, runtime.keys, runtime.engine, place, cohort, learners
            )
            if enrolled is None:
                print(f"`{cohort}` can't name a cohort: use letters, digits, - and _.")
                return 2
            summary = await simulate(
                runtime.engine, runtime.store, learners, accuracy, seed, actors=enrolled, spread=COHORT_SPREAD
            )
            summary["cohort"] = cohort
            summary["tenant"] = f"{place.platform}:{place.tenant}"
    print(json.dumps(summary))
    return 0 if summary["errors"] == 0 and summary["consistency"]["ok"] else 1
