"""discord.py's HTTP client, sent to another REST base URL (`DISCORD_API_URL`) or gateway
(`DISCORD_GATEWAY_URL`): proxies, or local fakes in tests. For one client only.

discord.py has no option for either: it builds every REST URL from the class attribute
`Route.BASE`, and a non-sharded client connects to the class attribute
`DiscordWebSocket.DEFAULT_GATEWAY`, so assigning them would move every client in the process.
`RebasedHTTPClient` rewrites the URLs of its own requests and gateway connections instead,
and `rebase` gives a client one before it logs in. Interaction callbacks are sent through this
client too (see `DiscordApi.respond`), because discord.py's own interaction responses read
`Route.BASE`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp
import yarl
from discord.http import HTTPClient, Route

import discord

DISCORD_API = Route.BASE
"""discord.py's base URL for the API version it speaks (read here, never assigned)."""


class RebasedHTTPClient(HTTPClient):
    def __init__(self, loop: asyncio.AbstractEventLoop, api_url: str | None, gateway_url: str | None) -> None:
        super().__init__(loop)
        self.api_url = api_url.rstrip("/") if api_url else None
        self.gateway_url = gateway_url

    async def request(
        self,
        route: Route,
        *,
        files: Sequence[discord.File] | None = None,
        form: Iterable[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> Any:
        if self.api_url and route.url.startswith(DISCORD_API):
            route.url = self.api_url + route.url[len(DISCORD_API) :]
        return await super().request(route, files=files, form=form, **kwargs)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        if self.gateway_url:
            # Keep discord.py's query (API version, encoding, compression); change where it goes.
            url = str(yarl.URL(self.gateway_url).with_query(yarl.URL(url).query))
        return await super().ws_connect(url, compress=compress)


def rebase(client: discord.Client, api_url: str | None, gateway_url: str | None = None) -> None:
    """Send `client`'s REST calls to `api_url` (e.g. `http://127.0.0.1:8080/api/v10`) and its
    gateway connections to `gateway_url`; None leaves that one at Discord's."""
    http = RebasedHTTPClient(client.loop, api_url, gateway_url)
    client.http = http
    # The connection state hands the client to every message, channel and interaction it makes.
    client._connection.http = http
