"""Lesson search scores passages exactly as `bm25s` does, from its rows kept per stem."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from bot.advisor.retrieval import _scores, build_index, stems
from bot.course.loader import load_module

ROOT = Path(__file__).resolve().parents[2]
MODULE = load_module(ROOT / "course_data" / "module-02-technical-roles")


def test_every_query_scores_each_passage_as_bm25s_does() -> None:
    rng = random.Random(7)
    for lesson in MODULE.lessons:
        index = build_index(lesson)
        words = " ".join(p.text for p in index.passages).split()
        queries = [lesson.lab.task, *lesson.lab.openers, "salary and pay", "what tools should I learn"]
        queries += [" ".join(rng.sample(words, rng.randint(1, 12))) for _ in range(200)]
        for query in queries:
            own = set(stems(query))
            known = [s for s in own if s in index.bm25.vocab_dict]
            found = _scores(index, own)
            if not known:
                assert found is None
                continue
            assert found is not None
            assert np.array_equal(found, index.bm25.get_scores(known)), query
