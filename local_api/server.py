"""Serving the API with uvicorn on the terminal's own event loop (headless or under Qt).

The socket is bound here, not by uvicorn, so a port in use is a clear error instead of
uvicorn's exit, and port 0 picks a free one. uvicorn's signal capture is switched off: the
terminal owns Ctrl-C. The address (never a token) is written to `api.json` in the data dir
so scripts can find the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import uvicorn

from local_api.app import Api
from local_api.settings import ApiSettings
from local_api.tokens import TokenService
from terminal.core.errors import ConfigError

if TYPE_CHECKING:
    from terminal.app import Engine

log = logging.getLogger(__name__)
USAGE_FLUSH_S = 5.0
DISCOVERY_FILE = "api.json"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the terminal handles signals itself


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP given explicitly: asyncio switches Nagle off (TCP_NODELAY) only on sockets
    # that say they are TCP; with Nagle on, each answer waits ~40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"the API cannot listen on {host}:{port}: the port is in use "
                              "(another terminal? choose one with --api-port, or --no-api)"
                              ) from None
        raise ConfigError(f"the API cannot listen on {host}:{port}: "
                          f"{exc.strerror or exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class ApiServer:
    def __init__(self, engine: Engine, settings: ApiSettings | None = None) -> None:
        self.settings = settings or ApiSettings()
        if engine.db is None:
            raise ConfigError("the API needs a started engine (its database holds the tokens)")
        self.engine = engine
        self.tokens = TokenService(engine.db.api_tokens, self.settings.token_cache_s)
        self.api = Api(engine, self.settings, self.tokens)
        self.port = 0
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._discovery: Path | None = None

    @property
    def url(self) -> str:
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        sock = bind(self.settings.host, self.settings.port)
        self.port = sock.getsockname()[1]
        self.api.policy.bind(self.port)
        config = uvicorn.Config(self.api.asgi, log_config=None, access_log=False,
                                lifespan="off", ws="websockets-sansio", ws_max_size=1 << 20,
                                timeout_graceful_shutdown=2, server_header=False)
        self._server = _Server(config)
        self._task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[sock]), name="api-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise ConfigError("the API server stopped while starting")
            await asyncio.sleep(0.01)
        self.api.hub.start()
        self._flusher = asyncio.get_running_loop().create_task(self._flush_usage(),
                                                               name="api-token-usage")
        self._write_discovery()
        log.info("local API on %s (docs at %s/docs)", self.url, self.url)

    async def _flush_usage(self) -> None:
        while True:
            await asyncio.sleep(USAGE_FLUSH_S)
            try:
                await asyncio.to_thread(self.tokens.flush_usage)
            except Exception as exc:  # bookkeeping must never stop the server
                log.warning("recording token use failed: %s", exc)

    def _write_discovery(self) -> None:
        path = self.engine.options.data_dir / DISCOVERY_FILE
        try:
            path.write_bytes(orjson.dumps({"url": self.url, "pid": os.getpid()}))
            self._discovery = path
        except OSError as exc:
            log.warning("could not write %s: %s", path, exc)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        await self.api.hub.stop()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            self.tokens.flush_usage()
        if self._discovery is not None:
            with contextlib.suppress(OSError):
                self._discovery.unlink()
        self._server = None
        log.info("local API stopped")
