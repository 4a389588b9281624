"""`tutorbot lab ask LAB_ID [MESSAGE] [--file PATH]`: try a lab without a platform.

Each message goes through the real lab flow (counting, openers, the off-subject rule) and the
configured advisor (the offline advisor without `ANTHROPIC_API_KEY`), in one conversation, and
one JSON line is printed per message: `{"message", "reply", "counted", "sections"}`, where
`sections` are the headings of the lesson passages the reply drew on (the offline advisor
knows them; Claude's replies list none). Nothing is stored: no Redis is needed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bot.advisor.anthropic_advisor import AnthropicAdvisor
from bot.advisor.base import Advisor, Turn
from bot.advisor.factory import has_api_key
from bot.advisor.offline import OfflineAdvisor
from bot.domain.events import Actor, Text
from bot.domain.messages import Message, Paragraph
from bot.domain.state import LearnerState
from bot.flows import lab as lab_flow
from bot.flows import router
from bot.flows.compiled import CompiledModule
from bot.flows.context import AdvisorAnswered, FlowContext
from bot.runtime import engine_config, load_module
from bot.settings import Settings

ACTOR = Actor(platform="sim", tenant="lab-ask", user="author")
EXIT_USAGE = 2


def messages_from(message: str | None, file: str | None) -> list[str]:
    """The message given, then the file's lines (one message a line; blank lines skipped)."""
    found = [message] if message else []
    if file:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        found += [line.strip() for line in text.splitlines() if line.strip()]
    return found


def _text_of(messages: Sequence[Message]) -> str:
    return "\n".join(b.text for m in messages for b in m.blocks if isinstance(b, Paragraph) and b.text)


async def ask(
    advisor: Advisor, ctx: FlowContext, lab_id: str, messages: Sequence[str]
) -> list[dict[str, object]]:
    """One conversation in lab `lab_id`: a result per message, in order."""
    unit = ctx.module.unit(lab_id)
    assert unit is not None
    opened = lab_flow.open_unit(router.new_learner(ctx), ctx, unit).state
    assert opened is not None
    state: LearnerState = opened
    history: list[Turn] = []
    out: list[dict[str, object]] = []
    for message in messages:
        first = router.apply(state, Text(actor=ACTOR, text=message), ctx)
        if first.job is None or first.state is None:
            # Refused before reaching the advisor (too long, at the cap, a navigation word).
            out.append(
                {"message": message, "reply": _text_of(first.messages), "counted": False, "sections": []}
            )
            continue
        state = first.state
        lines = max(0, advisor.history_lines)
        request = lab_flow.advisor_request(state, ctx, ACTOR, tuple(history[-lines:]) if lines else ())
        reply = await advisor.reply(request)
        answered = AdvisorAnswered(
            turn=first.job.turn, text=reply.text, offline=reply.offline, on_topic=reply.on_topic
        )
        second = router.apply(state, answered, ctx)
        assert second.state is not None
        state = second.state
        history += second.transcript
        counted = any(entry.get("kind") == "lab_turn" and entry.get("counted") for entry in second.log)
        out.append(
            {"message": message, "reply": reply.text, "counted": counted, "sections": list(reply.sections)}
        )
    return out


async def run_lab_ask(lab_id: str, message: str | None, file: str | None) -> int:
    settings = Settings()
    module = load_module(settings)
    if module.lab(lab_id) is None:
        labs = ", ".join(lesson.lab.id for lesson in module.lessons)
        print(f"no lab {lab_id!r} in {module.id} (its labs: {labs})", file=sys.stderr)
        return EXIT_USAGE
    try:
        messages = messages_from(message, file)
    except OSError as error:
        print(f"cannot read {file}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    if not messages:
        print("give a MESSAGE or --file PATH (one message a line)", file=sys.stderr)
        return EXIT_USAGE
    advisor: Advisor = AnthropicAdvisor.from_settings(settings) if has_api_key(settings) else OfflineAdvisor()
    ctx = FlowContext(
        course=CompiledModule.of(module), actor=ACTOR, now=time.time(), limits=engine_config(settings).limits
    )
    try:
        for result in await ask(advisor, ctx, lab_id, messages):
            print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        close = getattr(advisor, "aclose", None)
        if close is not None:
            await close()
    return 0
