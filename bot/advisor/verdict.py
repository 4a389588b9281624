"""The model's verdict on a lab message, read from the start of its own streamed reply.

The lab prompt asks Claude to begin each reply with `<verdict>on-topic</verdict>` or
`<verdict>off-topic</verdict>` on a line of its own, so that whether a message counts is judged
in the same call as the reply, with no second request. While the stream could still be the
start of that tag, nothing is shown; once it is read (or ruled out) the rest is shown without
it. A reply without a verdict counts as on-topic: the learner is never penalised for a model
that forgot the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN = "<verdict>"
CLOSE = "</verdict>"
OFF_TOPIC = frozenset({"off-topic", "off topic", "off_topic", "offtopic", "off"})
_ANY_TAG = re.compile(r"\s*<verdict>[^<]{0,40}</verdict>\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Read:
    decided: bool
    """False while the text so far may still be the start of the verdict tag."""
    on_topic: bool
    visible: str
    """The reply as the learner may see it (empty while undecided)."""


def read(raw: str) -> Read:
    """What the reply so far says: its verdict, if any, and the text without it."""
    start = raw.lstrip()
    lowered = start.lower()
    if lowered.startswith(OPEN):
        end = lowered.find(CLOSE)
        if end < 0:
            return Read(decided=False, on_topic=True, visible="")
        verdict = start[len(OPEN) : end].strip().lower()
        rest = start[end + len(CLOSE) :]
        return Read(decided=True, on_topic=verdict not in OFF_TOPIC, visible=_clean(rest))
    if OPEN.startswith(lowered):  # "", "<", "<ver", …: the tag may still be coming
        return Read(decided=False, on_topic=True, visible="")
    return Read(decided=True, on_topic=True, visible=_clean(raw))


def _clean(text: str) -> str:
    # A verdict tag anywhere else (a model repeating it) is not for the learner either.
    return _ANY_TAG.sub(" ", text).lstrip()
