"""One HTTP and one websocket server on 127.0.0.1 for all simulated venues.

Each venue lives under its own path prefix: `http://127.0.0.1:<port>/binance/api/v3/...`,
`ws://127.0.0.1:<port>/binance/stream?streams=...`, `/coinbase`, `/kraken`. A connector's
configurable base URLs point at these prefixes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve

from tests.exchange_sim.http import HttpServer, Request, Response


class Venue(Protocol):
    max_connection_age_s: float | None

    async def handle(self, request: Request, path: str) -> Response: ...
    async def serve_ws(self, ws: ServerConnection, path: str, query: str) -> None: ...


class ExchangeSim:
    def __init__(self, **venues: Any) -> None:
        self.venues: dict[str, Venue] = venues
        self.http = HttpServer(self._http)
        self._ws: Server | None = None
        self.ws_port = 0

    def rest_url(self, venue: str) -> str:
        return f"http://127.0.0.1:{self.http.port}/{venue}"

    def ws_url(self, venue: str) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/{venue}"

    async def start(self) -> None:
        await self.http.start()
        self._ws = await serve(self._websocket, "127.0.0.1", 0, ping_interval=None)
        self.ws_port = next(iter(self._ws.sockets)).getsockname()[1]

    async def stop(self) -> None:
        for venue in self.venues.values():
            tape = getattr(venue, "tape", None)
            if tape is not None:
                await tape.stop()
        if self._ws is not None:
            self._ws.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.wait_closed(), 5)
        await self.http.stop()

    async def _http(self, request: Request) -> Response:
        name, _, rest = request.path.lstrip("/").partition("/")
        venue = self.venues.get(name)
        if venue is None:
            return Response.json({"error": f"no venue {name!r}"}, 404)
        return await venue.handle(request, "/" + rest)

    async def _websocket(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        parts = urlsplit(ws.request.path)
        name, _, rest = parts.path.lstrip("/").partition("/")
        venue = self.venues.get(name)
        if venue is None:
            await ws.close(1008, "no such venue")
            return
        if venue.max_connection_age_s is not None:  # Binance cuts every connection at 24 h
            age = venue.max_connection_age_s
            asyncio.get_running_loop().call_later(
                age, lambda: asyncio.ensure_future(ws.close(1001, "connection age")))
        await venue.serve_ws(ws, "/" + rest if rest else "/", parts.query)


@contextlib.asynccontextmanager
async def running(**venues: Any) -> AsyncIterator[ExchangeSim]:
    sim = ExchangeSim(**venues)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
