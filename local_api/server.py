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
from local_api.pairing.event_log import DeviceEventLog
from local_api.pairing.keys import lan_certificate, signing_key
from local_api.pairing.service import PairingService
from local_api.settings import ApiSettings
from local_api.tokens import TokenService
from terminal.core.errors import ConfigError
from terminal.secrets import SecretStore

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
        secrets = SecretStore()
        self.lan_cert = None if self.settings.lan_host is None else lan_certificate(
            engine.options.data_dir, secrets, self.settings.lan_host)
        self.pairing = PairingService(
            engine.db.pairing, self.tokens, signing_key(secrets), lambda: self.pairing_base,
            lambda: self.lan_cert.fingerprint if self.lan_cert is not None else "")
        self.event_log = DeviceEventLog(engine.bus, engine.db.pairing)
        self.api = Api(engine, self.settings, self.tokens, self.pairing, self.event_log)
        self.port = 0
        self.lan_port = self.settings.lan_port
        self._lan: _Server | None = None
        self._lan_task: asyncio.Task[None] | None = None
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._discovery: Path | None = None

    @property
    def pairing_base(self) -> str:
        """Where a phone reaches the terminal: the LAN listener (TLS) when on, else the
        loopback (a companion page in a browser on this machine)."""
        if self.settings.lan_host is not None:
            return f"https://{self.settings.lan_host}:{self.lan_port}"
        return self.url

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
        self.event_log.start()
        await self.api.webhooks.start()
        if self.lan_cert is not None:
            await self._start_lan()
        self._flusher = asyncio.get_running_loop().create_task(self._flush_usage(),
                                                               name="api-token-usage")
        self._write_discovery()
        log.info("local API on %s (docs at %s/docs)", self.url, self.url)

    async def _start_lan(self) -> None:
        assert self.lan_cert is not None and self.settings.lan_host is not None
        host, port = self.settings.lan_host, self.settings.lan_port
        sock = bind(host, port)
        self.lan_port = sock.getsockname()[1]
        self.api.policy.allow(host, self.lan_port, "https")
        config = uvicorn.Config(self.api.asgi, log_config=None, access_log=False,
                                lifespan="off", ws="websockets-sansio", ws_max_size=1 << 20,
                                timeout_graceful_shutdown=2, server_header=False)
        config.load()
        config.ssl = self.lan_cert.ssl_context()  # plain HTTP is never offered off loopback
        self._lan = _Server(config)
        self._lan_task = asyncio.get_running_loop().create_task(
            self._lan.serve(sockets=[sock]), name="api-lan")
        while not self._lan.started:
            if self._lan_task.done():
                self._lan_task.result()
                raise ConfigError("the LAN listener stopped while starting")
            await asyncio.sleep(0.01)
        log.info("local API also on https://%s:%d (LAN, certificate sha256 %s)", host,
                 sock.getsockname()[1], self.lan_cert.fingerprint)

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
            path.write_bytes(orjson.dumps({
                "url": self.url, "pid": os.getpid(), "pairing_base": self.pairing_base,
                "fingerprint": self.lan_cert.fingerprint if self.lan_cert else ""}))
            self._discovery = path
        except OSError as exc:
            log.warning("could not write %s: %s", path, exc)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        if self._lan is not None:
            self._lan.should_exit = True
        await self.api.webhooks.stop()
        await self.event_log.stop()
        await self.api.hub.stop()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        for task in (self._task, self._lan_task):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):
            self.tokens.flush_usage()
        if self._discovery is not None:
            with contextlib.suppress(OSError):
                self._discovery.unlink()
        self._server = None
        log.info("local API stopped")
