"""The `/cohort items`, `chart` and `reveal` answers, built from a cohort's learners.

`CohortService` checks the caller's rights and finds the cohort; these read its learners (in
pipelined batches) and shape what the facilitator gets: the flagged items first and the full
table as a CSV file; a chart as a PNG with its text summary; a reveal as the one kind of
answer that is posted in the channel, anonymised (see `reveal`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.cohorts import commands as c
from bot.cohorts.answers import Answer, AnswerFile, ChannelPost, fitted, refusal
from bot.cohorts.models import Cohort, RosterEntry, Tenant
from bot.course.models import Module
from bot.insight import charts, items, reveal
from bot.insight.cohort_data import read_cohort
from bot.storage.redis_store import RedisLearnerStore

STEM_CHARS = 90


async def items_answer(
    store: RedisLearnerStore, module: Module, tenant: Tenant, cohort: Cohort, entries: Sequence[RosterEntry]
) -> Answer:
    if not entries:
        return refusal(f"`{cohort.name}` has no learners yet: there are no answers to analyse.")
    data = await read_cohort(store, tenant, entries)
    stats = items.analyse(module, data.answers)
    answered = [s for s in stats if s.answers]
    if not answered:
        return refusal(f"Nobody in `{cohort.name}` has answered a question yet.")
    flagged = [s for s in answered if s.flags]
    lines: list[str] = []
    for s in flagged:
        figures = f"{s.answers} answers · facility {_figure(s.facility)} · discrimination {_figure(s.discrimination)}"
        provisional = " · _provisional_" if s.provisional else ""
        lines.append(f"**{reveal.short_name(module, s.item)}** {_short(s.item.question.stem)}")
        lines.append(f"{figures}{provisional}")
        lines.extend(f"• {flag}" for flag in s.flags)
    few = sum(s.provisional for s in answered)
    title = (
        f"`{cohort.name}`: {len(flagged)} of {len(answered)} answered questions flagged"
        + (f" ({few} with fewer than {items.MIN_ANSWERS} answers: provisional)" if few else "")
        + ". The full table is in the CSV."
    )
    csv_file = AnswerFile(
        filename=f"{cohort.name}-items.csv",
        title=f"{cohort.name} item analysis",
        content=items.as_csv(stats).encode(),
    )
    return Answer(title=title, sections=fitted(lines) if lines else ("Nothing flagged.",), files=(csv_file,))


async def chart_answer(
    store: RedisLearnerStore,
    module: Module,
    tenant: Tenant,
    cohort: Cohort,
    entries: Sequence[RosterEntry],
    command: c.Chart,
) -> Answer:
    if not entries:
        return refusal(f"`{cohort.name}` has no learners yet: there is nothing to chart.")
    data = await read_cohort(store, tenant, entries)
    chart = charts.render(command.kind, module, cohort.name, data.facts)
    image = AnswerFile(
        filename=f"{cohort.name}-{command.kind}.png", title=chart.summary[:200], content=chart.png
    )
    return Answer(title=chart.summary[:400], files=(image,))


async def reveal_answer(
    store: RedisLearnerStore,
    module: Module,
    tenant: Tenant,
    cohort: Cohort,
    entries: Sequence[RosterEntry],
    command: c.Reveal,
) -> Answer:
    item = reveal.find_item(module, command.question)
    if item is None:
        return refusal(
            f"I don't know the question `{command.question}`: name it like `L1Q2` (lesson 1's quiz, "
            "question 2) or `T5` (the module test's question 5)."
        )
    data = await read_cohort(store, tenant, entries)
    try:
        shown = reveal.distribution(module, item, data.answers, cohort.name)
    except reveal.RevealRefused as refused:
        return refusal(str(refused))
    name = reveal.short_name(module, item)
    if command.answer:
        post = ChannelPost(text=reveal.answer_text(module, item))
        return Answer(title=f"Posting the answer to {name} here.", post=post)
    post = ChannelPost(text=shown.text, image=shown.png, image_name=f"{cohort.name}-{name}.png")
    return Answer(
        title=f"Posting how `{cohort.name}` answered {name} ({shown.answers} first answers, no names). "
        f"When the discussion has run, `/cohort reveal {cohort.name} {name} answer` posts the answer.",
        post=post,
    )


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _short(text: str) -> str:
    return text if len(text) <= STEM_CHARS else text[: STEM_CHARS - 1].rstrip() + "…"
