"""Lesson search scores passages exactly as `bm25s` does, from the scores it keeps per stem."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.advisor.retrieval import _scores, build_index, quoted_key_terms, stems, touched_key_terms
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


SEEDED_SEARCH = """
import random, sys
from pathlib import Path
from bot.advisor.retrieval import build_index, search
from bot.course.loader import load_module

module = load_module(Path(sys.argv[1]))
rng = random.Random(3)
for lesson in module.lessons:
    index = build_index(lesson)
    words = " ".join(p.text for p in index.passages).split()
    for _ in range(100):
        query = " ".join(rng.sample(words, rng.randint(3, 14)))
        print([(repr(hit.score), hit.passage.section) for hit in search(index, query)])
"""


def test_scores_are_the_same_whatever_the_hash_seed() -> None:
    """Sums of several stems' scores are added in the query's order, not a set's: their last
    bits, and so which passage wins a close call, do not change from one process to the next."""
    course = str(ROOT / "course_data" / "module-02-technical-roles")
    runs = [
        subprocess.run(
            [sys.executable, "-c", SEEDED_SEARCH, course],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0].count("\n") == 400
    assert runs[0] == runs[1]


def test_the_key_terms_of_quoted_passages_are_those_found_in_their_text() -> None:
    for lesson in MODULE.lessons:
        index = build_index(lesson)
        texts = [p.text for p in index.passages]
        sets = [(a,) for a in texts] + [(a, b) for a in texts for b in texts if a != b]
        for _ in range(2):  # found, then kept
            for quoted in sets:
                assert list(quoted_key_terms(index, quoted)) == touched_key_terms(index, quoted), quoted
