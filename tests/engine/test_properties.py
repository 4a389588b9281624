"""Property test: random event sequences never crash a flow and keep the course's invariants."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.domain.events import Actor, Command, Press, Text
from bot.domain.state import LabStep, LearnerState, QuizStep, TestStep
from bot.flows import router
from bot.flows.compiled import CompiledModule
from bot.flows.context import AdvisorAnswered, AdvisorFailed, FlowContext

ACTOR = Actor(platform="sim", tenant="prop", user="u")
ACTIONS = [
    "open",
    "next",
    "back",
    "answer",
    "retake",
    "begin",
    "say",
    "retry",
    "menu",
    "resume",
    "progress",
    "junk",
]
COMMANDS = ["start", "resume", "progress", "help", "menu"]


def events(unit_ids: list[str]):
    press = st.tuples(
        st.just("press"),
        st.sampled_from(ACTIONS),
        st.sampled_from(unit_ids + ["a", "b", "c", "d", "0", "1", "2", "9", "", "zz"]),
        st.sampled_from(["current", "current", "current", "0", "999", ""]),
    )
    text = st.tuples(
        st.just("text"),
        st.sampled_from(
            [
                "ok",
                "help",
                "resume",
                "",
                "Which tools matter on the first day of the job?",
                "How do I show causal inference skills to an employer?",
                "x" * 1600,
                "continue",
            ]
        ),
        st.just(""),
        st.just(""),
    )
    command = st.tuples(st.just("command"), st.sampled_from(COMMANDS), st.just(""), st.just(""))
    advisor = st.tuples(st.just("advisor"), st.sampled_from(["answer", "fail"]), st.just(""), st.just(""))
    return st.lists(st.one_of(press, press, press, text, command, advisor), max_size=80)


def done_units(state: LearnerState) -> set[str]:
    progress = state.progress
    done = set(progress.lessons_done) | set(progress.quizzes)
    done |= {lab for lab, result in progress.labs.items() if result.done}
    return done | ({"test"} if progress.passed else set())


def check_invariants(state: LearnerState, module) -> None:
    progress = state.progress
    for result in progress.quizzes.values():
        assert 0 <= result.first <= result.best <= result.total
    step = state.step
    if isinstance(step, QuizStep):
        assert step.score <= len(step.answers) <= len(module.quiz(step.quiz_id)[1].questions)
    if isinstance(step, TestStep):
        assert len(step.answers) <= len(module.test.questions)
    assert len(progress.test_attempts) <= progress.test_started <= module.test.max_attempts
    for attempt in progress.test_attempts:
        assert 0 <= attempt.score <= attempt.total
    for result in progress.labs.values():
        assert 0 <= result.exchanges <= 10


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_event_sequences_keep_invariants(module, data):
    unit_ids = [unit.id for unit in module.units]
    sequence = data.draw(events(unit_ids))
    state: LearnerState | None = None
    now = 1_000_000.0
    course = CompiledModule.of(module)
    for kind, a, b, c in sequence:
        now += 7
        ctx = FlowContext(course=course, actor=ACTOR, now=now)
        if kind == "press":
            token = str(state.token) if (c == "current" and state) else c
            if a == "junk":
                # Not one of the engine's actions: it never becomes a Press (an adapter answers it).
                with pytest.raises(ValidationError):
                    Press(actor=ACTOR, action=a, arg=b, token=token)
                continue
            event = Press(actor=ACTOR, action=a, arg=b, token=token)
        elif kind == "text":
            event = Text(actor=ACTOR, text=a)
        elif kind == "command":
            event = Command(actor=ACTOR, name=a)
        else:
            if not (state and isinstance(state.step, LabStep) and state.step.pending):
                continue
            turn = state.step.pending.turn
            event = (
                AdvisorAnswered(turn=turn, text="reply", offline=True)
                if a == "answer"
                else AdvisorFailed(turn=turn, reason="down", retryable=True)
            )
        before = done_units(state) if state else set()
        snapshot = state.model_dump() if state else None
        outcome = router.apply(state, event, ctx)
        assert (state.model_dump() if state else None) == snapshot, "a transition changed its input"
        if outcome.state is not None:
            if state is not None:
                assert outcome.state.token >= state.token
            state = outcome.state
        assert outcome.messages or outcome.job or outcome.state is not None or kind == "advisor"
        if state is not None:
            check_invariants(state, module)
            assert before <= done_units(state), "a completed unit became uncompleted"
            assert router.view(state, ctx)  # the step can always be shown again
