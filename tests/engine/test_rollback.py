"""Redis losing recent writes, or a record deleted under an engine's cache: an old write never wins."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.domain.codec import decode
from tests.engine.driver import Learner


async def _at_first_quiz(learner: Learner, quiz_id: str) -> None:
    await learner.command("start")
    await learner.read_lesson()
    await learner.press("open", quiz_id)


async def test_after_a_rollback_the_acknowledged_answer_is_kept(make_engine, module, store, redis):
    quiz = module.lessons[0].quiz
    first, correct = quiz.questions[0], next(o for o in quiz.questions[0].options if o.correct)
    wrong = next(o for o in first.options if not o.correct)
    a, b = make_engine(), make_engine()  # two bot processes
    via_a, via_b = Learner(a), Learner(b)
    await _at_first_quiz(via_a, quiz.id)
    state_key = store.keys.state(via_a.actor)
    snapshot = await redis.dump(state_key)
    answer_wrong = via_a.button("answer", wrong.id)
    answer_correct = replace(answer_wrong, arg=correct.id)

    await via_a.press("answer", via=answer_wrong)  # process A commits; Redis then loses it
    await redis.restore(state_key, 0, snapshot, replace=True)
    await via_b.press("answer", via=answer_correct)  # process B commits the same revision anew
    assert "Correct" in via_b.text()
    second = via_b.button("answer")

    await via_a.press("answer", via=second)  # A still holds its lost record in its cache

    stored = decode((await store.load(via_a.actor)).data)  # type: ignore[union-attr]
    assert stored.step.answers[0] == correct.id  # type: ignore[union-attr]
    assert len(stored.step.answers) == 2  # type: ignore[union-attr]
    # The learner's second answer was not lost either: it was applied to B's record.
    logged = [json.loads(e) for e in await store.log(via_a.actor, 100)]
    assert [e["question"] for e in logged if e["kind"] == "answer"][-1] == quiz.questions[1].id


async def test_a_record_set_aside_under_a_cache_is_not_overwritten_from_it(make_engine, store):
    a, b = make_engine(), make_engine()
    via_a, via_b = Learner(a), Learner(b)
    await via_a.command("start")
    await via_a.press("next")
    await via_a.press("next")  # A caches the record at card 3 of the first lesson
    await store.quarantine(via_a.actor, "a facilitator's reset")
    await via_b.command("start")  # a fresh record: the revision numbers start again
    await via_b.press("next")
    await via_b.press("back")  # at card 1, at A's revision
    fresh = await store.load(via_b.actor)
    assert fresh is not None and fresh.rev == 3

    await via_a.press("next")  # from A's card 3, which is gone

    stored = await store.load(via_a.actor)
    assert stored is not None and stored.rev == 4
    assert decode(stored.data).step.card == 1  # type: ignore[union-attr]  # B's card 1, moved on once
