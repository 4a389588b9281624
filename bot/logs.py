"""Where log lines go, how often, and what may never be in them.

The terminal tutor keeps its screen for the learner and writes logs to a file in the data
folder; servers (Slack, Discord) log to standard error. Either way every line passes the
`PrivacyFilter` first. A failure that repeats (every event during an outage) is written once
and then counted (`RepeatedFailures`).

Our own log lines name learners by platform, tenant and user id and never carry message text.
The libraries are less careful: at one level or another slack-bolt and slack-sdk log request
bodies (Bolt's "Invalid request signature detected (… body: …)" holds the whole signed body,
DM text included), API request and response bodies (tokens, message text), `response_url`s and
OAuth codes. The filter, on the handlers, so that it sees every record whichever logger it came
from, cuts such details out of library records and masks anything shaped like a Slack token in
every record.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

LIBRARY_LOGGERS = ("slack_bolt", "slack_sdk", "slack", "tutorbot.slack.bolt", "aiohttp", "discord", "urllib3")
"""Loggers whose records may carry payloads; ours (`bot.*`) are written not to."""

WITHHELD = "[withheld]"

# Everything from a marker that introduces a payload to the end of the message goes: the
# payload may itself hold commas, braces or quotes, so there is no safe place to stop earlier.
_PAYLOAD = re.compile(
    r"(?is)\b(body|json_body|data|params|query_params|headers|response|payload|request|code|text|blocks)"
    r"['\"]?\s*[:=]\s*.*$"
)
_REQUEST_BODY = re.compile(r"(?is)\b(request body|incoming request|received the following response)\b.*$")
_STRUCTURE = re.compile(r"(?s)[{\[].*$")
_URL = re.compile(r"https?://[^\s'\"<>)]+")
_API_URL = re.compile(r"^https?://[^/\s]+/api/[A-Za-z0-9._]+/?$")
_TOKEN = re.compile(r"\bxox[a-z]?[a-z.]*-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+|\bxoxe-[A-Za-z0-9-]+")


def redact(message: str, *, library: bool) -> str:
    """`message` without tokens, and for library records without payloads and URLs (Web API
    method URLs, which say which call failed, are kept)."""
    if library:
        message = _REQUEST_BODY.sub(lambda m: f"{m.group(1)} {WITHHELD}", message)
        message = _STRUCTURE.sub("{" + WITHHELD + "}", message)
        message = _PAYLOAD.sub(lambda m: f"{m.group(1)}: {WITHHELD}", message)
        message = _URL.sub(
            lambda m: m.group(0) if _API_URL.match(m.group(0)) else f"<url {WITHHELD}>", message
        )
    return _TOKEN.sub(f"<token {WITHHELD}>", message)


class PrivacyFilter(logging.Filter):
    """Rewrites each record's message (and drops its traceback text for library records, whose
    exception messages can quote a response) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        library = record.name.startswith(LIBRARY_LOGGERS)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message, library=library)
        record.args = None
        if record.exc_info and library:
            error = record.exc_info[1]
            record.msg = f"{record.msg} ({type(error).__name__})"
            record.exc_info = None
            record.exc_text = None
        elif record.exc_info:
            # Format the traceback now, redacted, so the handler uses this text.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), library=False)
        return True


def _install(handler: logging.Handler) -> None:
    if not any(isinstance(f, PrivacyFilter) for f in handler.filters):
        handler.addFilter(PrivacyFilter())


def log_to_stream(stream: TextIO, level: int = logging.INFO) -> logging.Handler:
    """Log every record to `stream`, through the privacy filter (replacing earlier handlers)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    _install(handler)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    return handler


def log_to_stderr(level: int = logging.INFO) -> logging.Handler:
    return log_to_stream(sys.stderr, level)


def log_to_file(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "tutorbot.log"
    logging.basicConfig(level=logging.INFO, format=FORMAT, filename=path, force=True)
    for handler in logging.getLogger().handlers:
        _install(handler)
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
