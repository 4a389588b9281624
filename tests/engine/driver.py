"""A test learner: sends events to an engine and keeps what it was shown, like a chat client."""

from __future__ import annotations

from bot.domain.events import Actor, Command, Press, Text
from bot.domain.messages import Button, Message, Paragraph
from bot.domain.outbox import CollectingOutbox
from bot.engine.engine import Engine


class Learner:
    def __init__(self, engine: Engine, user: str = "u1", tenant: str = "t1", platform: str = "slack") -> None:
        self.engine = engine
        self.actor = Actor(platform=platform, tenant=tenant, user=user)  # type: ignore[arg-type]
        self.outbox = CollectingOutbox()
        self.shown: list[Message] = []

    async def send(self, event: Command | Press | Text) -> list[Message]:
        await self.engine.handle(event, self.outbox)
        self.shown = self.outbox.take()
        return self.shown

    async def command(self, name: str) -> list[Message]:
        return await self.send(Command(actor=self.actor, name=name))  # type: ignore[arg-type]

    async def say(self, text: str) -> list[Message]:
        return await self.send(Text(actor=self.actor, text=text))

    def button(self, action: str, arg: str = "") -> Button:
        """The shown button with this action (and arg); fails the test when there is none."""
        for message in reversed(self.shown):
            for button in message.buttons:
                if button.action == action and (not arg or button.arg == arg):
                    return button
        raise AssertionError(
            f"no {action}:{arg} button among {[b.label for m in self.shown for b in m.buttons]}"
        )

    async def press(self, action: str, arg: str = "", *, via: Button | None = None) -> list[Message]:
        button = via or self.button(action, arg)
        return await self.send(
            Press(actor=self.actor, action=button.action, arg=button.arg, token=button.token)
        )

    async def open(self, unit_id: str) -> list[Message]:
        await self.command("menu")
        return await self.press("open", unit_id)

    async def read_lesson(self) -> None:
        while any(b.action == "next" for m in self.shown for b in m.buttons):
            await self.press("next")

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
