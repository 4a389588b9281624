"""A learner driven straight through the transition function: no engine, no Redis, no outbox.

Each event goes to `router.apply`; the outcome's state (when there is one) becomes the learner's
state, as the engine's commit would make it, and its messages are what the learner sees next.
"""

from __future__ import annotations

from bot.course.models import Module, Question
from bot.domain.events import Action, Actor, Command, CommandName, Press, Text
from bot.domain.messages import Button, Message, Paragraph
from bot.domain.state import LearnerState
from bot.flows import router
from bot.flows.compiled import CompiledModule
from bot.flows.context import FlowContext, InternalEvent, Outcome

ACTOR = Actor(platform="sim", tenant="pure", user="u1")


class PureLearner:
    def __init__(self, module: Module, actor: Actor = ACTOR, now: float = 1_000_000.0) -> None:
        self.module = module
        self.course = CompiledModule.of(module)
        self.actor = actor
        self.now = now
        self.state: LearnerState | None = None
        self.shown: list[Message] = []
        self.last: Outcome | None = None

    def ctx(self) -> FlowContext:
        return FlowContext(course=self.course, actor=self.actor, now=self.now)

    def send(self, event: Command | Press | Text | InternalEvent) -> Outcome:
        outcome = router.apply(self.state, event, self.ctx())
        if outcome.state is not None:
            self.state = outcome.state
        self.shown = list(outcome.messages)
        self.last = outcome
        return outcome

    def command(self, name: CommandName) -> Outcome:
        return self.send(Command(actor=self.actor, name=name))

    def say(self, text: str) -> Outcome:
        return self.send(Text(actor=self.actor, text=text))

    def button(self, action: str, arg: str = "") -> Button:
        """The shown button with this action (and arg); fails the test when there is none."""
        for message in reversed(self.shown):
            for button in message.buttons:
                if button.action == action and (not arg or button.arg == arg):
                    return button
        raise AssertionError(
            f"no {action}:{arg} button among {[b.label for m in self.shown for b in m.buttons]}"
        )

    def press(self, action: str, arg: str = "", *, via: Button | None = None) -> Outcome:
        button = via or self.button(action, arg)
        return self.send(Press(actor=self.actor, action=button.action, arg=button.arg, token=button.token))

    def open(self, unit_id: str) -> Outcome:
        self.command("menu")
        return self.press("open", unit_id)

    def read_lesson(self) -> None:
        while any(b.action == "next" for m in self.shown for b in m.buttons):
            self.press("next")

    def answer(self, question: Question, right: bool) -> Outcome:
        option = question.correct_option if right else next(o for o in question.options if not o.correct)
        return self.press("answer", option.id)

    def shown_question(self, questions: tuple[Question, ...]) -> Question:
        """The question the last card asks, recognised by its bold stem."""
        stems = {f"**{q.stem}**": q for q in questions}
        for message in reversed(self.shown):
            for block in message.blocks:
                if isinstance(block, Paragraph) and block.text in stems:
                    return stems[block.text]
        raise AssertionError("no question shown")

    def text(self) -> str:
        """Everything shown last, as one string."""
        parts: list[str] = []
        for message in self.shown:
            parts.append(message.heading or "")
            for block in message.blocks:
                parts.append(getattr(block, "text", ""))
                parts += getattr(block, "items", ())
                parts += [f"{term} — {definition}" for term, definition in getattr(block, "terms", ())]
            parts += [button.label for button in message.buttons]
        return "\n".join(parts)

    def notices(self) -> list[str]:
        return [b.text for m in self.shown if m.notice for b in m.blocks if isinstance(b, Paragraph)]

    def send_state(self, state: LearnerState) -> None:
        """Put the learner in `state`, as a facilitator's action or an older record would."""
        self.state = state

    def forged(self, action: Action, arg: str = "") -> Press:
        """A press of `action` with the current step token, whether or not such a button is shown."""
        token = str(self.state.token) if self.state else ""
        return Press(actor=self.actor, action=action, arg=arg, token=token)

    def refused(self, event: Command | Press | Text | InternalEvent) -> str:
        """Send an event the step does not allow: it must change nothing and say so in a notice.
        Returns the notice's text."""
        before = self.state
        outcome = self.send(event)
        assert outcome.state is None and self.state is before, "a refused event changed the state"
        assert not outcome.log and outcome.job is None
        notices = self.notices()
        assert notices, f"a refused event must be answered, got {self.text()!r}"
        return " ".join(notices)
