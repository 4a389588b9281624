"""A learner's option and question orders come from a seed that must never change: a learner
halfway through an attempt when a new version is deployed must see the same order after it."""

from __future__ import annotations

from bot.domain.events import Actor
from bot.domain.shuffle import _permutation, shuffled


def test_orders_are_seeded_by_the_actor_and_the_salt_as_they_always_were() -> None:
    actor = Actor(platform="slack", tenant="T042", user="U7.x-1")
    items = [f"option-{n}" for n in range(6)]
    for salt in (("quiz-1-q2", 1), ("test", 3), ("test", "practice", 2), ("one",)):
        seed = f"{actor}|{'|'.join(map(str, salt))}"
        assert shuffled(items, actor, *salt) == [items[i] for i in _permutation(seed, len(items))]
    # Every salt part and every actor field counts: another attempt or learner is another order.
    orders = {tuple(shuffled(items, actor, "quiz-1-q2", attempt)) for attempt in range(1, 6)} | {
        tuple(shuffled(items, actor.model_copy(update={"platform": "discord"}), "quiz-1-q2", 1))
    }
    assert len(orders) > 3
