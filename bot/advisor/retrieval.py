"""Finding the lesson passages that answer a learner's message: BM25 over stemmed words.

A lesson is cut into passages (each paragraph, each list, each key-term definition), each
indexed with its section heading, since a heading names what its section answers. Scoring is
Okapi BM25 (`bm25s`) over Snowball-stemmed words (`PyStemmer`), so "deploying", "deployed"
and "deployment" meet. Learners do not always use the lesson's words ("pay" for compensation,
"LLMs" for large language models, "tools" for a skills list): `LEARNER_WORDS` adds the lesson's
words for theirs, at half weight. Each lesson is indexed once and reused.
"""

from __future__ import annotations

import logging
import math
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer

from bot.course.models import Lesson, section_name
from bot.domain.frozen import frozen

# bm25s sets its logger to DEBUG when imported; back to inheriting, so that building an index
# (once per lesson, at start-up) does not log at every level the application allows.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

KEY_TERMS = "Key terms"
"""The name under which key-term definitions are drawn on (they have no section heading)."""

SYNONYM_WEIGHT = 0.5
HEADING_WEIGHT = 2.0
"""Added to a passage's score for each word of the question its section heading holds, scaled by
how rare the word is in the lesson: "salary" in "Salary Context" counts, "engineer" hardly."""

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "ask",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "even",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "like",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "really",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "way",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "tell",
        "know",
        "want",
        "think",
        "please",
        "thanks",
        "thank",
        "ok",
        "okay",
        "hi",
        "hello",
        "hey",
        "one",
        "ones",
        "lot",
        "lots",
        "thing",
        "things",
        "something",
        "kind",
        "sort",
        "maybe",
        "actually",
        "matter",
        "matters",
        "i'm",
        "i've",
        "im",
        "ive",
        "don't",
        "dont",
        "best",
        "good",
    ]
)

LEARNER_WORDS: dict[str, str] = {
    # pay
    "pay": "salary compensation",
    "paid": "salary compensation",
    "salary": "compensation pay",
    "salaries": "compensation pay",
    "earn": "salary compensation pay",
    "money": "salary compensation pay",
    "wage": "salary compensation",
    "compensation": "salary pay",
    # tools and skills
    "tool": "skills toolkit stack",
    "tools": "skills toolkit stack",
    "stack": "tools skills",
    "tech": "skills stack",
    "technologies": "skills stack",
    "framework": "skills stack",
    "frameworks": "skills stack",
    "libraries": "skills stack",
    "language": "python sql",
    "languages": "python sql",
    "programming": "python sql",
    "learn": "skills",
    # abbreviations
    "llm": "large language models",
    "llms": "large language models",
    "gpt": "large language models",
    "chatgpt": "large language models",
    "phd": "doctoral",
    "mle": "ml engineer",
    "ds": "data scientist",
    "swe": "software engineer",
    "k8s": "kubernetes",
    "ci": "continuous integration",
    "cd": "continuous deployment",
    "cicd": "continuous integration deployment",
    "dl": "deep learning",
    "nlp": "natural language processing",
    "cv": "computer vision",
    "sota": "state of the art",
    "oss": "open source",
    "ab": "a/b test",
    # roles and careers
    "job": "role position",
    "jobs": "role position",
    "career": "role path",
    "junior": "mid-level senior",
    "senior": "mid-level junior",
    "beginner": "junior",
    "professor": "academic faculty",
    "professors": "academic faculty",
    "university": "academic universities",
    "universities": "academic",
    "school": "universities",
    "conference": "venues",
    "conferences": "venues",
    "publish": "publication papers venues",
    "publishing": "publication papers venues",
    "paper": "publication",
    "papers": "publication",
    # production
    "deploy": "serving production",
    "deployment": "serving production",
    "ship": "serving production deploy",
    "prod": "production",
    "automate": "automated automation pipelines",
    "automation": "automated pipelines",
    "retrain": "retraining",
    "monitor": "monitoring",
    "break": "fail",
    "startup": "startups",
    "interview": "informational",
    "component": "layer stack",
    "components": "layer stack",
    "piece": "layer stack",
    "pieces": "layer stack",
    "typical": "work practice",
    "week": "work practice activities",
    "daily": "work practice activities",
    "become": "career path",
    "transition": "career path",
    "switch": "career path",
    "background": "career path",
    "portfolio": "communicate results projects",
    "mistake": "underappreciated worthless",
    "mistakes": "underappreciated worthless",
    "replace": "automated eliminated",
    "academia": "academic universities",
    "industry": "industrial",
}

LEARNER_PHRASES: dict[str, str] = {
    "get into": "career path",
    "break into": "career path",
    "move into": "career path",
    "day to day": "work practice activities",
    "day-to-day": "work practice activities",
    "open source": "stack",
    "open-source": "stack",
}
"""Phrases whose lesson words are added like `LEARNER_WORDS` ("get into MLOps": its career paths)."""

CAREER_WORDS = frozenset(
    """career careers job jobs role roles work working employer employers employ hire hiring hired
    recruiter recruiters interview interviews resume cv portfolio project projects experience
    experienced skill skills learn learning study studying course courses degree degrees
    background show demonstrate prove prepare preparing apply applying application applications
    company companies team teams manager managers colleague colleagues day week month months year
    years first start starting begin beginner junior senior mid level promotion grow growth path
    switch transition focus spend time advice recommend recommendation plan planning goal goals""".split()  # noqa: SIM905 -- a word list reads better as text
)
"""Words about learning and careers: a lab of a course about roles is about these too."""

LIST_WORDS = frozenset({"tool", "stack", "skill", "toolkit", "framework", "librari", "languag", "technolog"})
"""Stems of a question about what to use or learn: a list section (skills, toolkit, stack) answers it."""
LIST_BONUS = 1.0

_WORD = re.compile(r"[a-z0-9]+(?:[/+#][a-z0-9+#]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case words of `text` without stop words; "A/B" and "C++" stay whole."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]


@lru_cache(maxsize=8_192)
def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


@lru_cache(maxsize=8_192)
def synonym_stems(text: str) -> tuple[str, ...]:
    """The lesson's words for the learner's words in `text`, stemmed, minus those already there."""
    own = set(stems(text))
    extra = [s for w in words(text) if w in LEARNER_WORDS for s in stems(LEARNER_WORDS[w])]
    lowered = text.lower()
    extra += [s for phrase, meant in LEARNER_PHRASES.items() if phrase in lowered for s in stems(meant)]
    return tuple(dict.fromkeys(s for s in extra if s not in own))


@dataclass(frozen=True)
class Passage:
    section: str
    """The section it comes from (its heading, the lesson title, or "Key terms")."""
    text: str
    kind: str = "text"
    """The section's kind (`story`, `text`, `case`, `list`) or `term` for a key-term definition."""
    term: str | None = None
    """For a key-term definition: the term itself."""
    sentences: tuple[str, ...] = ()
    sentence_stems: tuple[frozenset[str], ...] = field(init=False, repr=False, compare=False)
    """The stems of each of `sentences`, by position (a quote picks sentences by them)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sentence_stems", tuple(frozenset(stems(s)) for s in self.sentences))


@frozen
class Hit:
    score: float
    passage: Passage


@dataclass(frozen=True)
class LessonIndex:
    passages: tuple[Passage, ...]
    bm25: bm25s.BM25
    vocabulary: frozenset[str]
    """Every stem of the lesson, its lab and its headings: what a message on the subject shares."""
    key_terms: tuple[tuple[str, re.Pattern[str]], ...]
    """Each key term with a pattern that finds it in text ("A/B Test" also finds "A/B testing")."""
    key_term_words: tuple[tuple[str, tuple[str, ...]], ...]
    """Of each key term (by position in `key_terms`), its first word and its other words, lower
    case ("" and none for a term without words)."""
    sections: tuple[str, ...]
    list_sections: frozenset[str]
    heading_stems: tuple[frozenset[str], ...]
    """The stems of each passage's heading (its key term, for a definition), by position."""
    heading_rarity: dict[str, tuple[tuple[int, float], ...]]
    """Per stem of any heading, the positions of the passages whose heading holds it, each with
    the stem's `rarity`."""
    rarity: dict[str, float]
    """Per stem, 1 for one found in a single passage, falling toward 0 for one found in all."""
    postings: dict[str, tuple[tuple[int, float], ...]]
    """Per stem, the passages that hold it, each with the stem's BM25 score there (a float32, as
    a Python float): a query's scores are the float32 sums of its stems' scores, added in the
    order `bm25s` adds them, so equal to its own."""
    term_patterns: dict[str, re.Pattern[str]]
    """`key_terms` by term."""
    list_positions: tuple[int, ...]
    """Positions of the passages of list sections."""
    term_positions: tuple[tuple[int, str, str], ...]
    """Position, key term and its first word (lower case) of each key-term definition."""
    quoted_terms: dict[tuple[str, ...], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """The key terms in the passages replies have quoted, by their texts (see `quoted_key_terms`)."""


def _term_pattern(term: str) -> re.Pattern[str]:
    parts = re.findall(r"[A-Za-z0-9]+", term)
    body = r"\W+".join(re.escape(w) + r"\w*" for w in parts)
    return re.compile(r"\b" + body, re.IGNORECASE)


def _passages(lesson: Lesson) -> list[Passage]:
    found: list[Passage] = []
    for section in lesson.sections:
        name = section_name(section, lesson.title)
        for paragraph in section.paragraphs:
            found.append(Passage(name, paragraph, section.kind, sentences=_sentences(paragraph)))
        for item in section.items:
            if item.text:
                found.append(Passage(name, f"{item.label}: {item.text}", section.kind))
        bare = [item.label for item in section.items if not item.text]
        if bare:
            # Bare labels ("PyTorch / TensorFlow") are too short alone: the list is one passage.
            found.append(Passage(name, ", ".join(bare), section.kind))
    for term in lesson.key_terms:
        found.append(Passage(KEY_TERMS, f"{term.term}: {term.definition}", "term", term=term.term))
    return found


def _sentences(text: str) -> tuple[str, ...]:
    return tuple(_SENTENCE_END.split(text))


def _document(passage: Passage) -> list[str]:
    # The heading is indexed with each passage of its section: "Salary Context" answers "pay".
    heading = passage.term if passage.term else passage.section
    return list(stems(passage.text)) + list(stems(heading or ""))


def build_index(lesson: Lesson) -> LessonIndex:
    passages = tuple(_passages(lesson))
    documents = [_document(p) for p in passages]
    bm25 = bm25s.BM25()
    bm25.index(documents, show_progress=False)
    counts: dict[str, int] = {}
    for document in documents:
        for s in set(document):
            counts[s] = counts.get(s, 0) + 1
    total = len(documents)
    rarity = {s: math.log(total / n) / math.log(total) if total > 1 else 1.0 for s, n in counts.items()}
    lab = lesson.lab
    subject = frozenset(stems(f"{lesson.title} {lab.advisor}"))
    texts: list[str] = [lesson.title, lesson.subtitle, lesson.hook, lab.task, lab.greeting, *lab.openers]
    texts += [p.text for p in passages] + [p.section for p in passages]
    vocabulary = frozenset(s for text in texts for s in stems(text))
    key_terms = tuple((t.term, _term_pattern(t.term)) for t in lesson.key_terms)
    # Words of the lesson's subject ("Data Scientist") are in every section: they do not tell
    # one heading from another.
    heading_stems = tuple(frozenset(stems(p.term or p.section)) - subject for p in passages)
    return LessonIndex(
        passages=passages,
        bm25=bm25,
        vocabulary=vocabulary | frozenset(stem(w) for w in (*LEARNER_WORDS, *CAREER_WORDS)),
        key_terms=key_terms,
        key_term_words=tuple(_first_and_rest(_term_words(t.term)) for t in lesson.key_terms),
        sections=tuple(dict.fromkeys(p.section for p in passages)),
        list_sections=frozenset(p.section for p in passages if p.kind == "list"),
        heading_stems=heading_stems,
        heading_rarity=_heading_rarity(heading_stems, rarity),
        rarity=rarity,
        postings=_postings(bm25),
        term_patterns=dict(key_terms),
        list_positions=tuple(n for n, p in enumerate(passages) if p.kind == "list"),
        term_positions=tuple((n, p.term, _first_word(p.term)) for n, p in enumerate(passages) if p.term),
    )


def _heading_rarity(
    heading_stems: tuple[frozenset[str], ...], rarity: dict[str, float]
) -> dict[str, tuple[tuple[int, float], ...]]:
    found: dict[str, list[tuple[int, float]]] = {}
    for position, heading in enumerate(heading_stems):
        for s in heading:
            found.setdefault(s, []).append((position, rarity.get(s, 0.0)))
    return {s: tuple(positions) for s, positions in found.items()}


def _postings(bm25: bm25s.BM25) -> dict[str, tuple[tuple[int, float], ...]]:
    """Each stem's precomputed BM25 scores, by passage (its column of `bm25s`'s sparse matrix)."""
    data, indices, indptr = (bm25.scores[name] for name in ("data", "indices", "indptr"))
    if data.dtype != np.float32:
        raise TypeError(f"bm25s scores are {data.dtype}: the sums in `_scores` round to float32")
    postings = {}
    for token, token_id in bm25.vocab_dict.items():
        if token_id + 1 >= len(indptr):
            continue  # `bm25s`'s placeholder for an empty token, which has no scores
        start, end = indptr[token_id], indptr[token_id + 1]
        found = dict(zip(indices[start:end].tolist(), data[start:end].tolist(), strict=True))
        postings[token] = tuple((position, score) for position, score in sorted(found.items()) if score)
    return postings


class LessonIndexes:
    """The indexes of a module's lessons, built once, when this is made (the engine benchmark
    asks for thousands of replies). A lesson it was not made with (edited since, or from
    elsewhere) is indexed on the spot, so no answer ever comes from an old text."""

    def __init__(self, lessons: Iterable[Lesson] = ()) -> None:
        self._built = {lesson.id: (lesson, build_index(lesson)) for lesson in lessons}

    def of(self, lesson: Lesson) -> LessonIndex:
        known = self._built.get(lesson.id)
        if known is not None and (known[0] is lesson or known[0] == lesson):
            return known[1]
        return build_index(lesson)


_FLOAT32 = struct.Struct("f")


def _scores(index: LessonIndex, query: Iterable[str]) -> list[float] | None:
    """BM25 scores of the passages for `query`, as `bm25s` computes them: its stems' scores added
    in its order, in float32 (None when no stem of it is in the lesson).

    Added as Python floats and rounded to float32 after each addition: the sum of two float32
    values rounded once to float64, then to float32, is their float32 sum (float64 has more than
    twice float32's precision), and a passage without the stem adds nothing to round."""
    scores = None
    for s in query:
        found = index.postings.get(s)
        if found is None:
            continue
        if scores is None:
            scores = [0.0] * len(index.passages)
        for position, score in found:
            before = scores[position]
            scores[position] = _FLOAT32.unpack(_FLOAT32.pack(before + score))[0] if before else score
    return scores


def search(index: LessonIndex, text: str, limit: int = 2, ratio: float = 0.6) -> list[Hit]:
    """The best passages for `text`, best first (at most `limit`, each within `ratio` of the best)."""
    # In the message's order, not a set's: sums of several stems' scores, whose last bits depend
    # on the order of adding, are then the same whatever Python's hash seed.
    own, related = tuple(dict.fromkeys(stems(text))), synonym_stems(text)
    found, synonyms = _scores(index, own), _scores(index, related)
    scores = [0.0] * len(index.passages) if found is None else found
    if synonyms is not None:
        # Added in float64 (their weight, a power of two, scales them exactly as in float32).
        scores = [a + SYNONYM_WEIGHT * b for a, b in zip(scores, synonyms, strict=True)]
    wanted = own + related  # no stem in both
    # A question whose words (or their synonyms) name a section ("tools" and "The MLOps Stack")
    # is answered by that section more than by a passing mention elsewhere: the learner's word
    # for what a heading names counts as the heading's own word.
    named: dict[int, float] = {}
    for s in wanted:
        for position, rarity in index.heading_rarity.get(s, ()):
            named[position] = named.get(position, 0) + rarity
    for position, rarities in named.items():
        scores[position] += HEADING_WEIGHT * rarities
    if not LIST_WORDS.isdisjoint(wanted):
        for position in index.list_positions:
            scores[position] += LIST_BONUS
    lowered = text.lower()
    aligned = _aligned(text, lowered)
    for position, term, first_word in index.term_positions:
        # The learner named this key term: its definition answers best.
        if first_word not in lowered:
            continue
        pattern = index.term_patterns[term]
        if _names_at_word(pattern, text, lowered, first_word) if aligned else pattern.search(text):
            scores[position] *= 1.5
    order = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)  # stable: ties by position
    best = [Hit(score=scores[i], passage=index.passages[i]) for i in order[:limit] if scores[i] > 0]
    if not best:
        return []
    return [hit for hit in best if hit.score >= best[0].score * ratio]


def section_passages(index: LessonIndex, section: str) -> list[Passage]:
    return [p for p in index.passages if p.section == section]


def on_subject(index: LessonIndex, text: str) -> bool:
    """Whether `text` shares enough of the lesson's vocabulary to be about the lesson or its task.

    At least one of its meaningful words, and a third of them, must occur in the lesson, its lab,
    or the learner words the advisor knows.
    """
    found = stems(text)
    if not found:
        return True  # nothing to judge (an emoji, a number): the substance rule handles it
    shared = sum(1 for s in found if s in index.vocabulary)
    return shared >= 1 and shared * 3 >= len(found)


def touched_key_terms(index: LessonIndex, texts: Iterable[str]) -> list[str]:
    """Key terms that appear in any of `texts`, in the lesson's order."""
    joined = "\n".join(texts)
    lowered = joined.lower()
    # Text that names a term holds each of its words, whatever their case: checking that first
    # spares most pattern searches. (Only in ASCII text: there, lower-casing matches exactly what
    # the patterns' IGNORECASE does; otherwise only the first word is checked.)
    ascii_only = joined.isascii()
    aligned = _aligned(joined, lowered)
    found = []
    for (term, pattern), (first, rest) in zip(index.key_terms, index.key_term_words, strict=True):
        if first not in lowered or (ascii_only and not all(word in lowered for word in rest)):
            continue
        if _names_at_word(pattern, joined, lowered, first) if aligned else pattern.search(joined):
            found.append(term)
    return found


QUOTED_TERMS_KEPT = 4_096
"""At most this many sets of quoted passages have their key terms kept, per lesson (a reply
quotes one passage or two, so a lesson of n passages has about n² sets at most)."""


def quoted_key_terms(index: LessonIndex, quoted: Sequence[str]) -> tuple[str, ...]:
    """`touched_key_terms` of the texts of the passages a reply quotes, kept once found: the same
    few passages answer most questions, and finding terms in them costs more than the rest of
    the reply."""
    key = tuple(quoted)
    found = index.quoted_terms.get(key)
    if found is None:
        found = tuple(touched_key_terms(index, key))
        if len(index.quoted_terms) < QUOTED_TERMS_KEPT:
            index.quoted_terms[key] = found
    return found


_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"
"""The letters outside ASCII that IGNORECASE matches with ASCII ones (İ, ı, ſ and the Kelvin sign)."""


def _aligned(text: str, lowered: str) -> bool:
    """Whether, in `text`, a key term's first word matches case-insensitively exactly where its
    lower case `lowered` holds the word: each character lower-cased to one, and no letter outside
    ASCII that IGNORECASE matches with an ASCII one."""
    return text.isascii() or (
        len(lowered) == len(text) and not any(letter in text for letter in _FOLDS_TO_ASCII)
    )


def _names_at_word(pattern: re.Pattern[str], text: str, lowered: str, first: str) -> bool:
    """`pattern.search(text)` for a key term's pattern in `_aligned` text: the pattern starts with
    the term's `first` word, so it is tried only where `lowered` holds that word, not at every
    position of a long passage."""
    if not first:
        return pattern.search(text) is not None
    start = lowered.find(first)
    while start >= 0:
        if pattern.match(text, start):
            return True
        start = lowered.find(first, start + 1)
    return False


def _term_words(term: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in re.findall(r"[A-Za-z0-9]+", term))


def _first_and_rest(words: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    return (words[0], words[1:]) if words else ("", ())


@lru_cache(maxsize=1_024)
def _first_word(term: str) -> str:
    found = re.findall(r"[A-Za-z0-9]+", term)
    return found[0].lower() if found else ""


def best_sentences(passage: Passage, text: str, max_chars: int) -> tuple[str, bool, bool]:
    """The passage, or for a long one its best one or two consecutive sentences for `text`.

    Returns the quote and whether text was left out before and after it.
    """
    if len(passage.text) <= max_chars or len(passage.sentences) <= 1:
        return _cut(passage.text, max_chars)
    wanted = set(stems(text)) | set(synonym_stems(text))
    scores = [len(wanted & sentence) for sentence in passage.sentence_stems]
    first = scores.index(max(scores))  # the earliest of the best
    chosen = list(passage.sentences[first : first + 2])
    if len(" ".join(chosen)) > max_chars:
        chosen = chosen[:1]
    quote, cut_before, cut_after = _cut(" ".join(chosen), max_chars)
    return quote, first > 0 or cut_before, first + len(chosen) < len(passage.sentences) or cut_after


def _cut(text: str, max_chars: int) -> tuple[str, bool, bool]:
    if len(text) <= max_chars:
        return text, False, False
    end = text.rfind(" ", 0, max_chars)
    return text[: end if end > 0 else max_chars].rstrip(",;:"), False, True
