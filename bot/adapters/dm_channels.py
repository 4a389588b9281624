"""Which channel is each learner's direct-message conversation with the bot.

Opening a DM costs a platform call (Slack `conversations.open`, Discord `POST
/users/@me/channels`); the answer never changes, so the adapters keep the most recently used
ones in memory, and note any they see in inbound payloads for free.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

DM_CACHE_SIZE = 50_000


class DmChannels:
    """A bounded map of learner → DM channel id, least recently used dropped first."""

    def __init__(self, size: int = DM_CACHE_SIZE) -> None:
        self.size = size
        self._channels: OrderedDict[Hashable, str] = OrderedDict()

    def get(self, learner: Hashable) -> str | None:
        channel = self._channels.get(learner)
        if channel is not None:
            self._channels.move_to_end(learner)
        return channel

    def remember(self, learner: Hashable, channel: str) -> None:
        self._channels[learner] = channel
        self._channels.move_to_end(learner)
        while len(self._channels) > self.size:
            self._channels.popitem(last=False)
