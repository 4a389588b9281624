"""Buttons as compact strings, and back.

A button is encoded as `tb{index}:{action}:{arg}:{token}`, for example `tb2:answer:opt-b:r17`.
The same string serves as Slack's `action_id` and `value` and as Discord's `custom_id`, so
it must fit the smallest of those limits: Discord's 100 characters.

- `index` is the button's position in `Message.buttons` (choices, then actions). It makes
  two buttons with the same action and arg differ, as Discord requires within a message
  and Slack within a block.
- The string never names a learner: `decode` takes the actor from the platform event, so a
  button seen by someone else acts for whoever pressed it, never for its original recipient.
- Nothing here is secret or signed. Slack signs each request and Discord only accepts
  custom_ids that exist on the message, and the engine checks the step token, so a replayed
  or edited value can at worst repeat a press the learner could make anyway; `decode` only
  has to refuse what is malformed.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from bot.domain.events import Actor, Press
from bot.domain.messages import Button

PREFIX = "tb"
MAX_LENGTH = 100
"""Discord's custom_id limit, the tightest of the three fields the string goes into."""

_PART = r"[A-Za-z0-9._-]"
# Field lengths mirror `Press`; the index has no leading zeros so each press has one spelling.
PATTERN = (
    rf"{PREFIX}(?P<index>0|[1-9][0-9]{{0,2}})"
    rf":(?P<action>{_PART}{{1,24}}):(?P<arg>{_PART}{{0,48}}):(?P<token>{_PART}{{0,24}})"
)
"""Regular expression for an encoded button, usable as a Discord `DynamicItem` template."""

_ENCODED = re.compile(PATTERN)
_SAFE = re.compile(rf"{_PART}*")


def encode(button: Button, index: int) -> str:
    """The string that identifies `button`, the `index`-th button of its message.

    Raises ValueError when the engine built a button that cannot be encoded (a character
    outside `A-Z a-z 0-9 . _ -` in action, arg or token, or more than 100 characters in all):
    that is a bug to fix where the button is made, never something a learner can cause.
    """
    if not 0 <= index <= 999:
        raise ValueError(f"button index {index} out of range 0..999")
    for name in ("action", "arg", "token"):
        if not _SAFE.fullmatch(getattr(button, name)):
            raise ValueError(
                f"button {button.label!r}: {name} {getattr(button, name)!r} has characters outside A-Z a-z 0-9 . _ -"
            )
    value = f"{PREFIX}{index}:{button.action}:{button.arg}:{button.token}"
    if not _ENCODED.fullmatch(value) or len(value) > MAX_LENGTH:
        raise ValueError(
            f"button {button.label!r} encodes to {len(value)} characters, over {MAX_LENGTH} or malformed: {value!r}"
        )
    return value


def decode(value: object, actor: Actor) -> Press | None:
    """The press an encoded button stands for, or None if `value` is not one of ours.

    Never raises: anything malformed (wrong prefix, too long, bad characters, not a string)
    is None.
    """
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    match = _ENCODED.fullmatch(value)
    if match is None:
        return None
    try:
        # Validated, not constructed: the action is text from a platform until it proves to be ours.
        return Press.model_validate(
            {"actor": actor, "action": match["action"], "arg": match["arg"], "token": match["token"]}
        )
    except ValidationError:
        return None


def button_index(value: object) -> int | None:
    """The index part of an encoded button (which button of its message it was), or None."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    match = _ENCODED.fullmatch(value)
    return int(match["index"]) if match else None
