"""The offline advisor: answers from the lesson's own text, with no network and no model.

It picks the one or two passages of the lesson (paragraphs, list items, key-term definitions)
that share the most meaningful words with the learner's message, quotes them in the persona's
voice, says plainly that it is the offline advisor, and ends with a follow-up question tied to
the lab task. Scoring is plain term overlap weighted by rarity within the lesson, so the same
message always gets the same answer. Each lesson's passages are indexed once and reused: the
engine benchmark calls this thousands of times.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, OnDelta
from bot.course.models import Lab, Lesson

MAX_QUOTE_CHARS = 360
SECOND_PASSAGE_RATIO = 0.6
"""A second passage is quoted only when it scores at least this fraction of the best one."""
STREAM_CHUNKS = 4

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
        "ask",
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
        "day",
        "days",
        "matter",
        "matters",
    ]
)

# A few everyday words learners use for what lessons name differently; they count half.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "tool": ("skill", "toolkit", "framework", "stack"),
    "skill": ("tool", "toolkit"),
    "salary": ("compensation", "pay"),
    "pay": ("compensation", "salary"),
    "money": ("compensation", "salary", "pay"),
    "earn": ("compensation", "salary", "pay"),
    "job": ("role", "position"),
    "career": ("role", "path"),
    "start": ("junior", "first"),
    "beginner": ("junior",),
    "deploy": ("production", "serv"),
    "production": ("deploy", "serv"),
    "prod": ("production", "deploy"),
}

_WORD = re.compile(r"[a-z0-9]+(?:[+#][a-z0-9+#]*)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light suffix strip, so "models"/"model" and "deploying"/"deploy" meet."""
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ied"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=4_096)
def terms(text: str) -> frozenset[str]:
    """Meaningful, stemmed words of `text`."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1)


@dataclass(frozen=True)
class Passage:
    source: str
    """Where it comes from: a section heading, the lesson title, or "Key terms"."""
    text: str
    terms: frozenset[str]
    term_name: str | None = None
    """For a key-term definition: the term itself."""
    source_terms: frozenset[str] = frozenset()
    """The terms of `source` (a section heading names what the section answers)."""
    sentences: tuple[tuple[str, frozenset[str]], ...] = ()
    """For a passage too long to quote whole: its sentences and their terms."""


def _passage(source: str, text: str, context: str = "", term_name: str | None = None) -> Passage:
    sentences: tuple[tuple[str, frozenset[str]], ...] = ()
    if len(text) > MAX_QUOTE_CHARS:
        sentences = tuple((s, terms(s)) for s in _SENTENCE_END.split(text))
    return Passage(
        source, text, terms(f"{text} {context}"), term_name, source_terms=terms(source), sentences=sentences
    )


@dataclass(frozen=True)
class LessonIndex:
    passages: tuple[Passage, ...]
    idf: dict[str, float]
    key_terms: tuple[tuple[str, re.Pattern[str]], ...]
    """Each key term with a pattern that finds it in text ("A/B Test" also finds "A/B testing")."""
    opener_terms: tuple[frozenset[str], ...]
    postings: dict[str, tuple[int, ...]]
    """Term → positions of the passages whose text or heading holds it: only those can score."""


def _term_pattern(term: str) -> re.Pattern[str]:
    words = re.findall(r"[A-Za-z0-9]+", term)
    body = r"\W+".join(re.escape(w) + r"\w*" for w in words)
    return re.compile(r"\b" + body, re.IGNORECASE)


def _passages(lesson: Lesson) -> list[Passage]:
    found: list[Passage] = []
    for section in lesson.sections:
        source = section.heading or lesson.title
        heading = section.heading or ""
        for paragraph in section.paragraphs:
            found.append(_passage(source, paragraph, heading))
        for item in section.items:
            if item.text:
                found.append(_passage(source, f"{item.label}: {item.text}", heading))
        bare = [item.label for item in section.items if not item.text]
        if bare:
            # Bare labels ("PyTorch / TensorFlow") are too short alone: quote the list as one.
            found.append(_passage(source, ", ".join(bare), heading))
    for term in lesson.key_terms:
        found.append(_passage("Key terms", f"{term.term}: {term.definition}", term_name=term.term))
    return found


def build_index(lesson: Lesson) -> LessonIndex:
    passages = tuple(_passages(lesson))
    counts: dict[str, int] = {}
    for passage in passages:
        for term in passage.terms:
            counts[term] = counts.get(term, 0) + 1
    total = len(passages) or 1
    idf = {term: math.log(1 + total / n) for term, n in counts.items()}
    key_terms = tuple((t.term, _term_pattern(t.term)) for t in lesson.key_terms)
    opener_terms = tuple(terms(opener) for opener in lesson.lab.openers)
    postings: dict[str, list[int]] = {}
    for position, passage in enumerate(passages):
        for term in passage.terms | passage.source_terms:
            postings.setdefault(term, []).append(position)
    return LessonIndex(passages, idf, key_terms, opener_terms, {t: tuple(p) for t, p in postings.items()})


_indexes: dict[int, tuple[Lesson, LessonIndex]] = {}
_INDEX_CACHE_SIZE = 64


def lesson_index(lesson: Lesson) -> LessonIndex:
    """The lesson's index, built once per lesson object."""
    hit = _indexes.get(id(lesson))
    # Keeping the lesson in the entry stops its id from being reused while cached.
    if hit is not None and hit[0] is lesson:
        return hit[1]
    index = build_index(lesson)
    if len(_indexes) >= _INDEX_CACHE_SIZE:
        _indexes.clear()
    _indexes[id(lesson)] = (lesson, index)
    return index


# Choosing and quoting -------------------------------------------------------------------------


def expand(query: frozenset[str]) -> frozenset[str]:
    """Synonyms of the query's terms that the query does not already hold."""
    return frozenset(s for term in query for s in SYNONYMS.get(term, ()) if s not in query)


def _score(
    query: frozenset[str], related: frozenset[str], found: frozenset[str], idf: dict[str, float]
) -> float:
    exact = sum(idf.get(term, 0.0) for term in query & found)
    return exact + 0.5 * sum(idf.get(term, 0.0) for term in related & found) if related else exact


def relevant_passages(index: LessonIndex, text: str, limit: int = 2) -> list[tuple[float, Passage]]:
    """The best `limit` passages for `text`, best first; ties go to the earlier passage."""
    query = terms(text)
    if not query:
        return []
    related = expand(query)
    wanted = query | related
    lowered = text.lower()
    scored: list[tuple[float, int, Passage]] = []
    candidates = sorted({position for term in wanted for position in index.postings.get(term, ())})
    for position in candidates:
        passage = index.passages[position]
        score = _score(query, related, passage.terms, index.idf)
        if passage.term_name is not None and passage.term_name.lower() in lowered:
            score *= 1.5  # the learner named this key term: its definition is the best answer
        # A question whose words (or their synonyms) name the section ("tools" and "Core
        # Technical Skills") is best answered by that section, not by a passing mention.
        score += sum(index.idf.get(term, 0.0) for term in wanted & passage.source_terms)
        if score > 0:
            scored.append((score, position, passage))
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    best = scored[:limit]
    if not best:
        return []
    top = best[0][0]
    return [(score, passage) for score, _, passage in best if score >= top * SECOND_PASSAGE_RATIO]


def excerpt(passage: Passage, query: frozenset[str], index: LessonIndex) -> str:
    """The passage, or for a long one its best two consecutive sentences, marked with "…".

    A single sentence still too long is cut to a window around its most telling query word.
    """
    if not passage.sentences:
        return passage.text
    sentences = [sentence for sentence, _ in passage.sentences]
    related = expand(query)
    scores = [_score(query, related, found, index.idf) for _, found in passage.sentences]
    first = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    chosen = sentences[first : first + 2]
    if len(" ".join(chosen)) > MAX_QUOTE_CHARS:
        chosen = chosen[:1]
    quote = " ".join(chosen)
    before = first > 0
    after = first + len(chosen) < len(sentences)
    if len(quote) > MAX_QUOTE_CHARS:
        quote, cut_before, after_cut = _window(quote, query | related, index)
        before, after = before or cut_before, after or after_cut
    return ("…" if before else "") + quote + (" …" if after else "")


def _window(text: str, wanted: frozenset[str], index: LessonIndex) -> tuple[str, bool, bool]:
    """At most MAX_QUOTE_CHARS of `text` at word boundaries, around the rarest wanted word."""
    hits = [
        (index.idf.get(stem(m.group()), 0.0), -m.start(), m.start())
        for m in _WORD.finditer(text.lower())
        if stem(m.group()) in wanted
    ]
    centre = max(hits)[2] if hits else 0
    start = max(0, min(centre - MAX_QUOTE_CHARS // 3, len(text) - MAX_QUOTE_CHARS))
    if start > 0:
        start = text.find(" ", start) + 1
    end = start + MAX_QUOTE_CHARS
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return text[start:end].strip(), start > 0, end < len(text)


def touched_key_terms(index: LessonIndex, texts: Sequence[str]) -> list[str]:
    """Key terms that appear in any of `texts`, in the lesson's order."""
    joined = "\n".join(texts)  # one search per term instead of one per term and text
    lowered = joined.lower()
    # A plain substring test on the term's first word rules most terms out before any regex runs.
    return [
        term for term, pattern in index.key_terms if _first_word(term) in lowered and pattern.search(joined)
    ]


@lru_cache(maxsize=1_024)
def _first_word(term: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", term)
    return words[0].lower() if words else ""


# Writing the reply ------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), 1)[0]


def _next_opener(lab: Lab, index: LessonIndex, learner_texts: Sequence[str], turn: int) -> str | None:
    """An opener the learner has not used yet (rotating with the turn), else any opener."""
    if not lab.openers:
        return None
    asked = [terms(text) for text in learner_texts]
    order = [(turn + i) % len(lab.openers) for i in range(len(lab.openers))]
    for i in order:
        wanted = index.opener_terms[i] - {"ask"} if i < len(index.opener_terms) else frozenset()
        used = any(wanted and len(wanted & seen) * 2 >= len(wanted) for seen in asked)
        if not used:
            return lab.openers[i]
    return lab.openers[order[0]]


def follow_up(request: AdvisorRequest, index: LessonIndex, quoted: Sequence[str]) -> str:
    """One closing question that moves the lab task forward."""
    learner_texts = _learner_texts(request)
    turn = request.turn - 1 if request.turn else len(learner_texts) - 1
    asked_about = set(touched_key_terms(index, learner_texts))
    fresh_terms = [term for term in touched_key_terms(index, quoted) if term not in asked_about]
    if fresh_terms and turn % 2 == 1:
        return f"How would you explain {fresh_terms[0]} in your own words, and what would you ask about it for your task?"
    opener = _next_opener(request.lab, index, learner_texts, turn)
    if opener is None:
        return "What would you like to ask next for your task?"
    return f'A question worth trying next: "{opener}" What would you like to ask next for your task?'


def _learner_texts(request: AdvisorRequest) -> list[str]:
    """What the learner said in this lab so far, this message last."""
    earlier = list(request.earlier_messages) or [t.text for t in request.history if t.role == "learner"]
    return earlier + [request.message]


def recap(request: AdvisorRequest, index: LessonIndex) -> str:
    texts = [turn.text for turn in request.history] + _learner_texts(request)
    touched = touched_key_terms(index, texts)
    if touched:
        return f"Recap: that completes {request.lab.title}. In this conversation you touched on {_join(touched)}."
    every = [term for term, _ in index.key_terms]
    tail = f" The lesson's key terms are worth a last look: {_join(every)}." if every else ""
    return f"Recap: that completes {request.lab.title}.{tail}"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def compose(request: AdvisorRequest) -> str:
    """The whole offline reply for one turn."""
    lesson, lab = request.lesson, request.lab
    index = lesson_index(lesson)
    query = terms(request.message)
    chosen = relevant_passages(index, request.message)

    # Renderers already put the advisor's name before the reply; say only what kind of advisor this is.
    parts = ["(Offline advisor: I answer by quoting the lesson, without an AI model.)"]
    if not request.counted:
        parts.append(
            "That message doesn't count toward the lab yet: the lab counts questions or thoughts of a few"
            " words that move your task forward, not a short acknowledgement or a repeat."
        )
    elif not chosen:
        # Nothing in the lesson matches: quote what bears on the task instead.
        chosen = relevant_passages(index, lab.task, limit=1)
        query = terms(lab.task)
        parts.append("The lesson doesn't speak to that directly, but this part bears on your task.")

    quotes = [excerpt(passage, query, index) for _, passage in chosen]
    for n, ((_, passage), quote) in enumerate(zip(chosen, quotes, strict=False)):
        lead = "From the lesson" if n == 0 else "And from"
        parts.append(f'{lead} ("{passage.source}"):\n> {quote}')

    if request.completes_lab and request.counted:
        parts.append(recap(request, index))
    else:
        if not request.counted:
            parts.append(f"Your task: {_first_sentence(lab.task)}")
        parts.append(follow_up(request, index, quotes))
    return "\n\n".join(parts)


def chunk_points(text: str, pieces: int) -> list[int]:
    """Cut positions at spaces that split `text` into about `pieces` growing prefixes."""
    cuts: list[int] = []
    for k in range(1, pieces):
        cut = text.find(" ", len(text) * k // pieces)
        if cut > 0 and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    cuts.append(len(text))
    return cuts


class OfflineAdvisor(Advisor):
    """Quotes the lesson in the persona's voice; never fails and never touches the network."""

    history_lines = 0  # it needs only the learner's earlier messages, which come with the request

    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        text = compose(request)
        if on_delta is not None:
            for cut in chunk_points(text, STREAM_CHUNKS):
                await on_delta(text[:cut])
        return AdvisorReplyText(text=text, offline=True)
