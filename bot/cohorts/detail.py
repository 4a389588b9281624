"""One learner in detail for their facilitator: each unit and when it was done (with how long
it took where the log tells), the first-attempt quiz answers, every test attempt, and each
lab's last turns with its AI usage and cost."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.advisor.base import Turn
from bot.advisor.budget import BudgetGuard
from bot.course.models import Module, UnitKind
from bot.domain.events import Actor
from bot.domain.state import Progress
from bot.flows.registry import current_unit_id
from bot.flows.terms import attempts_allowed
from bot.flows.units import is_done, unit_title
from bot.reports import learner_row, snapshot_state
from bot.storage.redis_store import RedisLearnerStore

LAB_TURNS_SHOWN = 2
TURN_CHARS = 160


def _clip(text: str, limit: int = TURN_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


async def learner_detail(
    store: RedisLearnerStore, module: Module, actor: Actor, budget: BudgetGuard | None
) -> list[str]:
    (snapshot,) = await store.snapshots([actor], log_last=None)
    usage: dict[str, Any] = await budget.usage(actor) if budget is not None else {"labs": {}}
    labs = usage.get("labs", {})
    cost = sum(lab.get("cost_micro_usd", 0) for lab in labs.values()) / 1_000_000
    row = learner_row(module, snapshot, cost)
    state, readable = snapshot_state(snapshot)
    if state is None or (not state.started and state.progress == Progress()):
        return [
            "Has not started yet."
            if readable
            else "Their record cannot be read; it is set aside at their next click."
        ]
    entries = [json.loads(raw) for raw in snapshot.log]
    lines = [
        f"**{row.status}** · now {row.current} · last active {row.last_active or 'never'}",
        "",
        "**Units**",
    ]
    first_seen: dict[str, float] = {}
    finished: dict[str, float] = {}
    for entry in entries:
        unit = entry.get("quiz") or entry.get("lab") or entry.get("lesson")
        if entry.get("kind", "").startswith("test"):
            unit = module.test.id
        if not unit:
            continue
        first_seen.setdefault(unit, entry.get("t", 0))
        if entry.get("kind") in ("lesson_done", "quiz_done", "lab_done", "test_done"):
            finished.setdefault(unit, entry.get("t", 0))
    for unit in module.units:
        title = unit_title(module, unit)
        if not is_done(state, unit):
            status = "current" if unit.id == current_unit_id(state, module) else "not done"
            lines.append(f"{title}: {status}")
            continue
        done_at = finished.get(unit.id)
        took = ""
        if done_at and unit.kind is not UnitKind.LESSON and unit.id in first_seen:
            took = f" in {_minutes(done_at - first_seen[unit.id])}"
        stamp = _stamp(done_at)
        lines.append(f"{title}: done{took}" + (f" ({stamp})" if stamp else ""))
    lines += ["", "**Quiz answers (first attempts)**"]
    questions = {q.id: (lesson.number, q) for lesson in module.lessons for q in lesson.quiz.questions}
    for entry in entries:
        if entry.get("kind") == "answer" and entry.get("attempt") == 1 and entry.get("question") in questions:
            number, question = questions[entry["question"]]
            option = question.option(str(entry.get("option")))
            mark = "✅" if entry.get("correct") else "❌"
            lines.append(
                f"{mark} Q{number} {_clip(question.stem, 70)} → _{_clip(option.text if option else '?', 60)}_"
            )
    lines += ["", "**Module test**"]
    if not state.progress.test_attempts:
        lines.append(f"Not taken ({row.test_attempts} begun).")
    for number, attempt in enumerate(state.progress.test_attempts, 1):
        verdict = "passed" if attempt.passed else "not passed"
        lines.append(
            f"Attempt {number}: {attempt.score}/{attempt.total}, {verdict} ({_stamp(attempt.finished_at)})"
        )
    allowed = attempts_allowed(state, module.test)
    lines.append(
        f"{row.test_attempts} of {allowed} attempts used"
        + (" · opened early" if state.progress.test_unlocked else "")
    )
    lines += ["", "**Labs**"]
    pipe_tails = [
        await store.transcript(actor, lesson.lab.id, LAB_TURNS_SHOWN * 2) for lesson in module.lessons
    ]
    for lesson, tail in zip(module.lessons, pipe_tails, strict=True):
        result = state.progress.labs.get(lesson.lab.id)
        used = labs.get(lesson.lab.id, {})
        tokens = sum(used.get(k, 0) for k in ("input", "output", "cache_read", "cache_write"))
        done = "done" if result and result.done else "not done"
        exchanges = result.exchanges if result else 0
        lines.append(
            f"Lab {lesson.number}: {done}, {exchanges} exchanges · AI {tokens:,} tokens, "
            f"${used.get('cost_micro_usd', 0) / 1_000_000:.4f}"
        )
        for raw in tail:
            turn = Turn.model_validate_json(raw)
            lines.append(f"  {'🧑' if turn.role == 'learner' else '🤖'} {_clip(turn.text)}")
    return lines


def _stamp(at: float | None) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M") if at else ""
