"""Neutral outbound messages. Renderers turn these into terminal text, Block Kit or Discord payloads.

A `Message` is one card: an optional heading, a list of blocks, then buttons. Text uses light
markdown only: `**bold**`, `_italic_` and line breaks; renderers translate it per platform.

They are built by our own code on every event, not read from outside: frozen dataclasses
(`frozen`), without the cost of validating each one. Where a card is stored and read back, a
pydantic `TypeAdapter` validates it (`bot/adapters/cards.py`). `DraftPlace` is part of the
learner's state record, a pydantic model like the rest of it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.events import Action
from bot.domain.frozen import frozen


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


@frozen
class Paragraph:
    kind: Literal["paragraph"] = "paragraph"
    text: str


@frozen
class Bullets:
    kind: Literal["bullets"] = "bullets"
    items: tuple[str, ...]


@frozen
class KeyTermList:
    kind: Literal["key_terms"] = "key_terms"
    terms: tuple[tuple[str, str], ...]
    """(term, definition) pairs."""


UnitStatus = Literal["done", "current", "locked", "open", "scheduled"]
"""`open` means not started and available; `locked` means not available yet; `scheduled`,
held back until the day in `opens` (a cohort's paced release)."""


@frozen
class StripUnit:
    label: str
    status: UnitStatus
    opens: str = ""
    """For a `scheduled` unit: the day it opens, as the learner reads it (`Mon 7 Dec`)."""


@frozen
class ProgressStrip:
    """The navigation strip `L1 · Quiz · Lab · … · Module Test` with a status per unit."""

    kind: Literal["progress"] = "progress"
    units: tuple[StripUnit, ...]


@frozen
class AdvisorReply:
    """What the lab advisor said. `turn` identifies the exchange so a streamed draft can be replaced."""

    kind: Literal["advisor"] = "advisor"
    advisor: str
    text: str
    turn: int = 0
    offline: bool = False


Block = Annotated[
    Paragraph | Bullets | KeyTermList | ProgressStrip | AdvisorReply, Field(discriminator="kind")
]


@frozen
class Button:
    """A button. Pressing it sends `Press(action, arg, token)` back to the engine."""

    label: str
    action: Action
    arg: str = ""
    token: str = ""
    style: Literal["default", "primary", "danger"] = "default"


@frozen
class Message:
    """One card shown to the learner.

    `choices` are answer buttons (one per option, shown as a list); `actions` are navigation
    buttons (Continue, Back, Menu). The flags say how a platform should treat the card; an
    adapter follows them and decides nothing of the kind itself.
    """

    heading: str | None = None
    blocks: tuple[Block, ...] = ()
    choices: tuple[Button, ...] = ()
    actions: tuple[Button, ...] = ()
    notice: bool = False
    """A short reply that does not change the step: shown only to the learner where they acted,
    when the platform can, instead of joining the conversation."""
    private: bool = False
    """Shown only to the learner, where they asked, whenever the platform can (help asked for
    with a command by someone already in the course)."""
    stays_where_asked: bool = False
    """An answer that belongs where the learner asked: asked outside the DM, it is shown there,
    only to them, instead of joining the DM (the learner's progress)."""
    locks_on_choice: bool = False
    """Pressing one of `choices` answers for good: the platform replaces the buttons with the
    chosen answer, so they cannot be pressed again."""
    progress_card: bool = False
    """The learner's progress card (Slack's Home tab shows it)."""

    def replaced(
        self, *, blocks: tuple[Block, ...] | None = None, actions: tuple[Button, ...] | None = None
    ) -> Message:
        """This card with other blocks or actions (a lesson card gets its footer and buttons): what
        `dataclasses.replace` does, in a fraction of its time (it runs on most lesson events)."""
        copy = object.__new__(Message)
        values = copy.__dict__
        values.update(self.__dict__)
        if blocks is not None:
            values["blocks"] = blocks
        if actions is not None:
            values["actions"] = actions
        return copy

    @property
    def buttons(self) -> tuple[Button, ...]:
        return self.choices + self.actions

    @property
    def advisor_turn(self) -> int | None:
        """The lab turn whose advisor reply this message carries, if any."""
        return next((block.turn for block in self.blocks if isinstance(block, AdvisorReply)), None)

    @property
    def log_name(self) -> str:
        """Names the card in logs: its heading is course text, never the learner's."""
        if self.heading:
            return repr(self.heading[:80])
        if self.advisor_turn is not None:
            return f"lab reply {self.advisor_turn}"
        return "notice" if self.notice else "card"


class DraftPlace(Frozen):
    """The platform message a lab reply is being streamed into (its draft), kept with the pending
    turn so that whichever process finishes the turn replaces that message."""

    channel: str
    message_id: str


@frozen
class ReplyProgress:
    """A lab reply being streamed: the full text so far. Adapters may show it by editing one message."""

    advisor: str
    text: str
    turn: int
    draft: DraftPlace | None = None
    """The draft a stopped process left for this turn: the stream goes on in that message."""
