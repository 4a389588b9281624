"""The HTTP edge of the Slack app: a request Bolt could not read is refused before Bolt sees it.

Bolt parses a request's body before it checks the signature, and a body it cannot parse
(broken JSON, a JSON string, bytes that are not UTF-8, a timestamp that is not a number) ends
in an HTTP 500 and a long traceback. Anyone can send those, so anyone could flood the log.
Here the signature is checked first, on the raw bytes (401 when it does not match, as Bolt
would answer), and a signed body that still cannot be read is answered 400. Neither writes
more than one short log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from aiohttp import web
from aiohttp.typedefs import Middleware
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def refuse_unreadable(signing_secret: str, path: str) -> Middleware:
    """aiohttp middleware guarding POSTs to `path` (Slack's request URL)."""
    verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        body = await request.read()  # aiohttp keeps it: Bolt reads the same bytes after this
        if verifier is None or not _signed(verifier, body, request):
            log.warning("slack: refused a request without a valid signature")
            return web.Response(status=401)
        if not readable(body, request.content_type):
            log.warning("slack: refused a signed request whose body cannot be read")
            return web.Response(status=400)
        return await handler(request)

    return guard


def _signed(verifier: SignatureVerifier, body: bytes, request: web.Request) -> bool:
    try:
        return verifier.is_valid(
            body=body,
            timestamp=request.headers.get("x-slack-request-timestamp"),
            signature=request.headers.get("x-slack-signature"),
        )
    except (ValueError, TypeError, OverflowError):  # a timestamp that is not a number
        return False


def readable(body: bytes, content_type: str) -> bool:
    """Whether Bolt can parse this body: UTF-8, and a JSON object where it expects JSON."""
    try:
        text = body.decode("utf-8")
        if content_type == "application/json" or text.startswith("{"):
            return isinstance(json.loads(text), dict)
        payload = parse_qs(text).get("payload")
        return payload is None or isinstance(json.loads(payload[0]), dict)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False
