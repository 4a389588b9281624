"""The lab flow, driven directly: a turn is two commits (the message, then the reply), and the
lab completes after its required exchanges."""

from __future__ import annotations

from bot.course.models import Lab, Module
from bot.domain.events import Text
from bot.domain.messages import AdvisorReply
from bot.domain.state import LabStep
from bot.flows.context import AdvisorAnswered, AdvisorFailed, AskAdvisor, ClaimTurn
from bot.flows.lab import NOT_COUNTED, OPENER_AGAIN
from tests.flows.pure import PureLearner

QUESTIONS = (
    "What does a typical week look like for someone in this role?",
    "Which skills or tools should I focus on first, and why do they matter?",
    "How would I show an employer that I can already do this kind of work?",
)


def at_lab(module: Module) -> tuple[PureLearner, Lab]:
    learner = PureLearner(module)
    learner.command("start")
    learner.read_lesson()
    lab = module.lessons[0].lab
    learner.open(lab.id)
    return learner, lab


def step(learner: PureLearner) -> LabStep:
    assert learner.state is not None and isinstance(learner.state.step, LabStep)
    return learner.state.step


def reply(learner: PureLearner, text: str = "Here is what the role involves, in detail.") -> None:
    pending = step(learner).pending
    assert pending is not None
    learner.send(AdvisorAnswered(turn=pending.turn, text=text, offline=True))


def test_the_lab_card_shows_the_task_the_greeting_and_the_openers(module: Module) -> None:
    learner, lab = at_lab(module)
    card = learner.shown[0]
    assert card.heading == lab.title
    assert lab.task in learner.text()
    assert AdvisorReply(advisor=lab.advisor, text=lab.greeting) in card.blocks
    assert [(b.label, b.action, b.arg) for b in card.choices] == [
        (opener, "say", str(i)) for i, opener in enumerate(lab.openers)
    ]
    assert f"Exchanges: 0 of {lab.exchanges_required}" in learner.text()


def test_a_message_is_kept_as_the_pending_turn_and_the_engine_is_asked_for_a_reply(module: Module) -> None:
    learner, lab = at_lab(module)
    outcome = learner.say(QUESTIONS[0])
    assert outcome.job == AskAdvisor(lab_id=lab.id, turn=1)
    pending = step(learner).pending
    assert pending is not None and (pending.turn, pending.text, pending.counted) == (1, QUESTIONS[0], True)
    # Typed (or pressed) while the advisor answers: kept, to be asked next, never dropped.
    waiting = learner.say(QUESTIONS[1])
    assert waiting.job is None and waiting.log == ({"kind": "step"},)  # activity, nothing more
    assert step(learner).queued == [QUESTIONS[1]] and step(learner).pending == pending
    assert "will take this one next" in learner.notices()[0]


def test_after_a_reply_the_waiting_message_is_asked_in_the_same_commit(module: Module) -> None:
    learner, lab = at_lab(module)
    learner.say(QUESTIONS[0])
    learner.say(QUESTIONS[1])
    reply(learner)
    assert learner.last is not None and learner.last.job == AskAdvisor(lab_id=lab.id, turn=2)
    assert learner.last.transcript[0].text == QUESTIONS[0]  # the first turn is written as it goes
    pending = step(learner).pending
    assert pending is not None and pending.text == QUESTIONS[1] and step(learner).queued == []


def test_the_reply_is_shown_counted_and_written_to_the_transcript(module: Module) -> None:
    learner, lab = at_lab(module)
    learner.say(QUESTIONS[0])
    reply(learner, "A week mixes pipelines, reviews and on-call.")
    assert learner.last is not None
    assert learner.last.transcript[0].text == QUESTIONS[0]
    assert learner.last.transcript[1].text == "A week mixes pipelines, reviews and on-call."
    assert AdvisorReply(
        advisor=lab.advisor, text="A week mixes pipelines, reviews and on-call.", turn=1, offline=True
    ) in (learner.shown[0].blocks)
    assert f"Exchanges: 1 of {lab.exchanges_required}" in learner.text()
    assert learner.state is not None and learner.state.progress.labs[lab.id].exchanges == 1
    assert step(learner).pending is None and step(learner).turns == 1


def test_the_required_exchanges_complete_the_lab_and_offer_the_next_unit(module: Module) -> None:
    learner, lab = at_lab(module)
    for question in QUESTIONS[: lab.exchanges_required]:
        learner.say(question)
        reply(learner)
    assert learner.state is not None and learner.state.progress.lab_done(lab.id)
    assert "✅ Lab complete" in learner.text()
    assert learner.last is not None and "lab_done" in [e["kind"] for e in learner.last.log]
    assert any(b.action == "open" for m in learner.shown for b in m.buttons)


def test_a_short_acknowledgement_is_answered_but_does_not_count(module: Module) -> None:
    learner, lab = at_lab(module)
    learner.say("ok")
    assert step(learner).pending is not None and not step(learner).pending.counted  # type: ignore[union-attr]
    reply(learner)
    assert learner.state is not None and learner.state.progress.labs[lab.id].exchanges == 0
    assert NOT_COUNTED in learner.text()


def test_an_opener_counts_once_per_lab(module: Module) -> None:
    learner, lab = at_lab(module)
    learner.press("say", "0")
    reply(learner)
    learner.say(lab.openers[0])  # typed word for word: still the opener
    reply(learner)
    assert learner.state is not None and learner.state.progress.labs[lab.id].exchanges == 1
    assert OPENER_AGAIN in learner.text()


def test_a_failed_reply_keeps_the_message_for_a_retry(module: Module) -> None:
    learner, lab = at_lab(module)
    learner.say(QUESTIONS[0])
    learner.send(AdvisorFailed(turn=1, reason="overloaded", retryable=True))
    assert step(learner).pending is None and step(learner).retry_text == QUESTIONS[0]
    retry = learner.button("retry")
    assert retry.label == "Try again"
    outcome = learner.press("retry")
    assert outcome.job == AskAdvisor(lab_id=lab.id, turn=1)
    assert step(learner).pending is not None and step(learner).pending.text == QUESTIONS[0]  # type: ignore[union-attr]


def test_late_replies_and_claims_for_another_turn_change_nothing(module: Module) -> None:
    learner, lab = at_lab(module)
    learner.say(QUESTIONS[0])
    before = learner.state
    for event in (
        AdvisorAnswered(turn=7, text="late", offline=True),
        AdvisorFailed(turn=7, reason="late", retryable=True),
        ClaimTurn(turn=7),
    ):
        outcome = learner.send(event)
        assert outcome.state is None and outcome.messages == () and learner.state is before


def test_an_oversized_message_is_refused_with_the_limit_and_nothing_is_lost(module: Module) -> None:
    learner, lab = at_lab(module)
    said = learner.refused(Text(actor=learner.actor, text="x" * 1600))
    assert "1,600 characters" in said and "limit is 1,500" in said
    assert "does nothing here" in learner.refused(learner.forged("say", "99"))
    assert "does nothing here" in learner.refused(learner.forged("retry"))  # nothing to retry
