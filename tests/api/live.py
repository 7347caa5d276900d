"""A real terminal serving its API on 127.0.0.1, in a thread of its own.

The engine replays the real Binance capture at full speed and stays up; requests go to the
real uvicorn server over loopback, so tests see exactly what a script would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from local_api.settings import ApiSettings
from terminal.app import DEFAULT_BALANCES, Engine, EngineOptions
from tests.data_paths import SHARED_DATA

CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
INSTRUMENTS = SHARED_DATA / "ref" / "cryptofeed__BINANCE.0"
BALANCES = {**DEFAULT_BALANCES, "NKN": "200"}
T = TypeVar("T")


class LiveTerminal:
    def __init__(self, data_dir: Path, settings: ApiSettings | None = None,
                 replay: list[Path] | None = None) -> None:
        self.data_dir = data_dir
        self.settings = settings or ApiSettings(port=0)
        self.replay = [CAPTURE] if replay is None else replay
        self.loop = asyncio.new_event_loop()
        self.engine: Engine | None = None
        self._ready = threading.Event()
        self._replayed = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="live-terminal", daemon=True)

    # the terminal's thread -------------------------------------------------------------
    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        engine = Engine(EngineOptions(
            data_dir=self.data_dir, replay_paths=self.replay, speed="max",
            instrument_files=[INSTRUMENTS] if self.replay else [],
            starting_balances=BALANCES, api=self.settings))
        self.engine = engine
        await engine.start()
        self._ready.set()
        try:
            await engine.run()  # the capture, to its end
            self._replayed.set()
            await engine.run(stay=True)  # then serve until stopped
        finally:
            await engine.stop()

    # the test's thread -----------------------------------------------------------------
    def start(self) -> LiveTerminal:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        return self

    def wait_replayed(self, timeout: float = 60) -> None:
        assert self._replayed.wait(timeout), "the replay did not end"

    def stop(self) -> None:
        if self.engine is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.engine.request_stop)
        self._thread.join(30)

    @property
    def url(self) -> str:
        assert self.engine is not None and self.engine.api_server is not None
        return str(self.engine.api_server.url)

    @property
    def port(self) -> int:
        assert self.engine is not None and self.engine.api_server is not None
        return int(self.engine.api_server.port)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(30)

    def call(self, fn: Callable[[], T]) -> T:
        async def wrapper() -> T:
            return fn()
        return self.run(wrapper())

    def token(self, scope: str, name: str | None = None,
              expires_in_s: int | None = None) -> str:
        assert self.engine is not None and self.engine.api_server is not None
        tokens = self.engine.api_server.tokens
        return self.call(lambda: tokens.create(name or f"test-{scope}", scope,
                                               expires_in_s)[0])


def settings(**changes: Any) -> ApiSettings:
    return replace(ApiSettings(port=0), **changes)
