"""The offline advisor: answers from the lesson's own text, with no network and no model.

It finds the passages that answer the learner's message (BM25 with stemming, see `retrieval`),
quotes the best one first in the persona's voice, and ends with a follow-up question tied to
the lab task. A "which / should I / how" question is pointed at the list or section that bears
on it. A message that has nothing to do with the lesson, or asks for test answers or for the
advisor's instructions, gets an honest redirect instead of a passage, and does not count. It
says that it is the offline advisor once, in its first reply in a lab. The same message
always gets the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, OnDelta
from bot.advisor.intent import Ask, classify
from bot.advisor.recap import recap_text
from bot.advisor.retrieval import (
    Hit,
    LessonIndex,
    LessonIndexes,
    Passage,
    best_sentences,
    on_subject,
    quoted_key_terms,
    search,
    section_passages,
    stems,
    touched_key_terms,
)
from bot.course.models import Lab

MAX_QUOTE_CHARS = 360
STREAM_CHUNKS = 4
OFFLINE_NOTE = "(Offline advisor: I answer by quoting the lesson, without an AI model.)"


@dataclass(frozen=True)
class Composed:
    text: str
    sections: tuple[str, ...]
    on_topic: bool


def quote(passage: Passage, message: str) -> str:
    text, before, after = best_sentences(passage, message, MAX_QUOTE_CHARS)
    return ("…" if before else "") + text + (" …" if after else "")


def _first_sentence(text: str) -> str:
    sentences = text.strip().split(". ", 1)
    return sentences[0] + ("." if len(sentences) > 1 else "")


# Follow-up questions -----------------------------------------------------------------------


def _next_opener(lab: Lab, learner_texts: Sequence[str], turn: int) -> str | None:
    """An opener the learner has not used yet (rotating with the turn), else any opener."""
    if not lab.openers:
        return None
    asked = [set(stems(text)) for text in learner_texts]
    order = [(turn + i) % len(lab.openers) for i in range(len(lab.openers))]
    for i in order:
        wanted = set(stems(lab.openers[i]))
        used = any(wanted and len(wanted & seen) * 2 >= len(wanted) for seen in asked)
        if not used:
            return lab.openers[i]
    return lab.openers[order[0]]


def _learner_texts(request: AdvisorRequest) -> list[str]:
    """What the learner said in this lab so far, this message last."""
    earlier = list(request.earlier_messages) or [t.text for t in request.history if t.role == "learner"]
    return earlier + [request.message]


def follow_up(request: AdvisorRequest, index: LessonIndex, quoted: Sequence[str]) -> str:
    """One closing question that moves the lab task forward; `quoted`: the texts of the lesson
    passages the reply quotes."""
    learner_texts = _learner_texts(request)
    turn = request.turn - 1 if request.turn else len(learner_texts) - 1
    asked_about = set(touched_key_terms(index, learner_texts))
    fresh_terms = [term for term in quoted_key_terms(index, quoted) if term not in asked_about]
    if fresh_terms and turn % 2 == 1:
        return (
            f"How would you explain {fresh_terms[0]} in your own words, and what would you ask about it "
            "for your task?"
        )
    opener = _next_opener(request.lab, learner_texts, turn)
    if opener is None:
        return "What would you like to ask next for your task?"
    return f'A question worth trying next: "{opener}" What would you like to ask next for your task?'


# Answers -----------------------------------------------------------------------------------


def _answer(index: LessonIndex, message: str, ask: Ask, lab: Lab) -> tuple[list[str], list[Passage]]:
    """The quoted part of a reply to an on-subject message, and the passages it drew on."""
    hits = search(index, message)
    lead: list[str] = []
    if not hits:
        lead.append("The lesson doesn't speak to that directly, but this part bears on your task.")
        hits = search(index, lab.task, limit=1)
        message = lab.task
    if not hits:
        return lead, []
    best = hits[0].passage
    if ask is Ask.QUESTION and best.section in index.list_sections:
        return lead + [_list_answer(index, best, message)], [best]
    drawn = [best] + [hit.passage for hit in hits[1:] if hit.passage.section != best.section]
    parts = list(lead)
    for n, passage in enumerate(drawn):
        if n == 0 and ask is Ask.QUESTION and passage.kind != "term":
            head = f'The lesson\'s section "{passage.section}" bears on that:'
        elif n == 0:
            head = f'From the lesson ("{passage.section}"):'
        else:
            head = f'And from "{passage.section}":'
        parts.append(f"{head}\n> {quote(passage, message)}")
    return parts, drawn


def _list_answer(index: LessonIndex, best: Passage, message: str) -> str:
    """A which/should-I question answered by the list it is about: its entries, the closest first."""
    entries = section_passages(index, best.section)
    head = f'The lesson\'s list "{best.section}" bears on that:'
    if len(entries) == 1:
        return f"{head}\n> {quote(best, message)}"
    labels = [entry.text.split(":", 1)[0] for entry in entries]
    return f"{head} {', '.join(labels)}. Closest to your question:\n> {quote(best, message)}"


def _redirect_off_subject(lab: Lab) -> str:
    return (
        "That's outside what this lab is about, so it doesn't count as an exchange. I'm glad to help with"
        f" your task, though: {_first_sentence(lab.task)}"
    )


def _redirect_answers(index: LessonIndex, message: str) -> tuple[str, list[Passage]]:
    text = (
        "I won't give quiz or test answers: choosing for yourself is what makes it stick, and it doesn't"
        " count as an exchange."
    )
    hits = search(index, message, limit=1)
    if hits and hits[0].score >= 1.0:
        section = hits[0].passage.section
        return f'{text} The lesson\'s "{section}" explains the idea behind it, if you want to reread it.', [
            hits[0].passage
        ]
    return text, []


PROMPT_REDIRECT = (
    "I can't share how I'm set up: my instructions aren't course material. What I can do is answer from"
    " the lesson, so ask me about it or about your task. That message doesn't count as an exchange."
)


def compose(request: AdvisorRequest, index: LessonIndex) -> Composed:
    """The whole offline reply for one turn; `index` is the index of `request.lesson`."""
    lab = request.lab
    ask = classify(request.message)
    # Renderers put the advisor's name before the reply; say once what kind of advisor this is.
    first = request.first_in_lab if request.first_in_lab is not None else request.turn in (None, 1)
    parts = [OFFLINE_NOTE] if first else []
    drawn: list[Passage] = []
    on_topic = True
    if ask is Ask.PROMPT:
        on_topic = False
        parts.append(PROMPT_REDIRECT)
    elif ask is Ask.TEST_ANSWERS:
        on_topic = False
        text, drawn = _redirect_answers(index, request.message)
        parts.append(text)
    elif not on_subject(index, request.message):
        on_topic = False
        parts.append(_redirect_off_subject(lab))
    elif not request.counted and not request.opener:
        if request.lab_done:
            parts.append(
                "That one is short or a repeat: ask a fuller question to take the conversation further."
            )
        else:
            parts.append(
                "That message doesn't count toward the lab yet: the lab counts questions or thoughts of a few"
                " words that move your task forward, not a short acknowledgement or a repeat."
            )
        parts.append(f"Your task: {_first_sentence(lab.task)}")
    else:
        answer, drawn = _answer(index, request.message, ask, lab)
        parts += answer

    if request.completes_lab and request.counted and on_topic:
        parts.append(recap_text(lab, request.raised, request.pieces))
    else:
        parts.append(follow_up(request, index, [p.text for p in drawn]))
    sections = tuple(dict.fromkeys(p.section for p in drawn))
    return Composed("\n\n".join(parts), sections, on_topic)


def relevant_sections(request: AdvisorRequest, index: LessonIndex) -> list[Hit]:
    """The passages an answer to this request would be drawn from (for tools and tests)."""
    return search(index, request.message)


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

    def __init__(self, indexes: LessonIndexes | None = None) -> None:
        """`indexes`: the module's lesson indexes, built once with the runtime (without them,
        each reply indexes its lesson)."""
        self.indexes = indexes or LessonIndexes()

    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        composed = compose(request, self.indexes.of(request.lesson))
        text = composed.text
        if on_delta is not None:
            for cut in chunk_points(text, STREAM_CHUNKS):
                await on_delta(text[:cut])
        return AdvisorReplyText(
            text=text, offline=True, on_topic=composed.on_topic, sections=composed.sections
        )
