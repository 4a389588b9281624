"""Stale and duplicate buttons, and several engine instances writing for one learner at once."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from bot.render.actions import decode
from tests.engine.driver import Learner


async def test_double_click_on_an_answer_counts_once(make_engine, module, store):
    learner = Learner(make_engine())
    await learner.command("start")
    await learner.read_lesson()
    await learner.press("open", module.lessons[0].quiz.id)
    first_option = learner.button("answer")
    await learner.press("answer", via=first_option)
    assert "Correct" in learner.text() or "Not quite" in learner.text()
    record = await store.load(learner.actor)

    await learner.press("answer", via=first_option)  # the same button again
    assert learner.notices() and "earlier step" in learner.notices()[0]
    assert (await store.load(learner.actor)) == record  # nothing changed
    answers = [json.loads(e) for e in await store.log(learner.actor, 100)]
    assert sum(e["kind"] == "answer" for e in answers) == 1


async def test_forged_token_and_unknown_action_change_nothing(make_engine, store):
    learner = Learner(make_engine())
    await learner.command("start")
    record = await store.load(learner.actor)
    next_button = learner.button("next")
    forged = replace(next_button, token="999")
    await learner.press("next", via=forged)
    assert "earlier step" in learner.notices()[0]
    # An action the engine never makes does not even become an event: adapters get None for
    # it from the button codec and answer it as an unknown button.
    assert decode(f"tb0:teleport::{next_button.token}", learner.actor) is None
    # An action of another step, with the right token, is answered and changes nothing.
    misplaced = replace(next_button, action="retake")
    await learner.press("retake", via=misplaced)
    assert learner.notices()
    assert (await store.load(learner.actor)) == record


async def test_old_lesson_card_button_after_moving_on_is_stale(make_engine):
    learner = Learner(make_engine())
    await learner.command("start")
    old_next = learner.button("next")
    await learner.press("next")
    await learner.press("next")
    shown_card = learner.text()
    await learner.press("next", via=old_next)
    assert "earlier step" in learner.notices()[0]
    await learner.command("resume")
    assert learner.text() == shown_card


async def test_two_engines_racing_on_the_same_click_apply_it_once(make_engine, store):
    one, two = make_engine(), make_engine()
    learner_one, learner_two = Learner(one), Learner(two)
    await learner_one.command("start")
    await learner_two.command("resume")  # both engines have now cached the same record
    button = learner_one.button("next")
    await asyncio.gather(learner_one.press("next", via=button), learner_two.press("next", via=button))
    stale = learner_one.notices() + learner_two.notices()
    assert len(stale) == 1 and "earlier step" in stale[0]
    record = await store.load(learner_one.actor)
    assert json.loads(record.data)["step"]["card"] == 1


async def test_engine_with_outdated_cache_applies_a_newer_button(make_engine, store):
    one, two = make_engine(), make_engine()
    learner_one, learner_two = Learner(one), Learner(two)
    await learner_one.command("start")
    await learner_two.command("resume")
    await learner_one.press("next")  # engine two's cache is now one step behind
    newer = learner_one.button("next")
    await learner_two.press("next", via=newer)
    assert not learner_two.notices()
    assert json.loads((await store.load(learner_one.actor)).data)["step"]["card"] == 2


async def test_concurrent_writes_from_many_engines_lose_no_update(make_engine, module, store):
    """Each engine reads a lesson card by card for its own learner of one tenant, all at once,
    while a second engine keeps interleaving presses for the same learners."""
    engines = [make_engine() for _ in range(3)]
    learners = [Learner(engines[i % 3], user=f"u{i}") for i in range(12)]
    await asyncio.gather(*(each.command("start") for each in learners))

    async def read(learner: Learner) -> None:
        for step in range(6):
            learner.engine = engines[step % 3]  # hop between processes, as a load balancer would
            await learner.press("next")

    await asyncio.gather(*(read(each) for each in learners))
    for learner in learners:
        state = json.loads((await store.load(learner.actor)).data)
        assert state["step"]["card"] == 6
        assert not learner.notices()


async def test_reopening_a_quiz_cannot_launder_the_first_attempt(make_engine, module, store):
    from bot.domain.codec import decode

    quiz = module.lessons[0].quiz
    learner = Learner(make_engine())
    await learner.command("start")
    await learner.read_lesson()
    await learner.press("open", quiz.id)
    wrong = next(o for o in quiz.questions[0].options if not o.correct)
    await learner.press("answer", wrong.id)
    assert "Not quite" in learner.text()

    await learner.open(module.lessons[0].id)  # away to the lesson, then back to the quiz
    await learner.open(quiz.id)
    assert "2/3" in learner.text()  # the attempt carries on; question 1 is not asked again
    for question in quiz.questions[1:]:
        await learner.press("answer", next(o for o in question.options if o.correct).id)

    result = decode((await store.load(learner.actor)).data).progress.quizzes[quiz.id]
    assert (result.first, result.attempts) == (2, 1)
