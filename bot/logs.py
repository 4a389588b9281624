"""Where log lines go, and how often. The terminal tutor keeps its screen for the learner and
writes logs to a file in the data folder; servers (Slack) log to standard error. A failure that
repeats (every event during an outage) is written once and then counted."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_file(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "tutorbot.log"
    logging.basicConfig(level=logging.INFO, format=FORMAT, filename=path, force=True)
    return path


class RepeatedFailures:
    """Logs a failure once, then counts its repeats instead of writing each one.

    A failure is known by its exception type and the place it was raised, so one outage
    answered by a thousand events writes one traceback and then a line per `window_s` saying
    how often it happened since (a 5-second Redis outage used to write megabytes of
    identical tracebacks per process). Different failures are each logged the first time.
    """

    def __init__(
        self, logger: logging.Logger, *, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger = logger
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def failed(self, what: str, exc: BaseException, *, traceback: bool = True) -> None:
        """Record one failure of `what` (a description holding no user text)."""
        key = (type(exc).__qualname__, _origin(exc))
        now = self.clock()
        since, repeats = self._seen.get(key, (now, -1))
        if repeats < 0:
            self._seen[key] = (now, 0)
            while len(self._seen) > MAX_KINDS:  # bounded: the oldest kinds are forgotten first
                self._seen.pop(next(iter(self._seen)))
            self.logger.error("%s: %s", what, _summary(exc), exc_info=exc if traceback else None)
            return
        if now - since < self.window_s:
            self._seen[key] = (since, repeats + 1)
            return
        self._seen[key] = (now, 0)
        self.logger.error(
            "%s: %s (the same failure %d more times in the last %.0f s)",
            what,
            _summary(exc),
            repeats + 1,
            now - since,
        )


MAX_KINDS = 256


def _origin(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else ""


def _summary(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
